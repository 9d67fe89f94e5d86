package org.fpwap.profile;

import com.google.gson.JsonObject;

/**
 * Bytes and seconds moved between host memory and the compute device, for one layer or a whole run. Only real
 * copies count: on CPU the tensors wrap host memory, so every figure is zero there (unless
 * {@code -Dfpwap.forceDeviceCopy=true} makes CPU uploads copy as a GPU's do). Seconds are the wall time of the
 * blocking copies DJL makes ({@code from_blob(...).to(device)} up, {@code .to(cpu)} down); the forward is waited for
 * before the download is timed, so queued kernels are counted as forward time, not as download time.
 *
 * @param weightUploadBytes block weights uploaded, FP32
 * @param weightUploadSeconds time uploading them
 * @param residualUploadBytes residual rows (padded microbatches) uploaded, FP32
 * @param residualUploadSeconds time uploading them
 * @param downloadBytes residual rows brought back to the host for the next layer, FP32
 * @param downloadSeconds time bringing them back
 */
public record TransferCounts(long weightUploadBytes, double weightUploadSeconds, long residualUploadBytes,
        double residualUploadSeconds, long downloadBytes, double downloadSeconds) {

    /** Nothing moved. */
    public static final TransferCounts ZERO = new TransferCounts(0, 0, 0, 0, 0, 0);

    /** Weights plus residual rows, host to device. */
    public long uploadBytes() {
        return weightUploadBytes + residualUploadBytes;
    }

    /** Time of all uploads. */
    public double uploadSeconds() {
        return weightUploadSeconds + residualUploadSeconds;
    }

    /** The sum of this and {@code other}. */
    public TransferCounts plus(TransferCounts other) {
        return new TransferCounts(weightUploadBytes + other.weightUploadBytes, weightUploadSeconds + other.weightUploadSeconds,
                residualUploadBytes + other.residualUploadBytes, residualUploadSeconds + other.residualUploadSeconds,
                downloadBytes + other.downloadBytes, downloadSeconds + other.downloadSeconds);
    }

    /** Adds the {@code profile.json} keys ({@code upload_bytes}, {@code upload_s}, ..., {@code download_s}) to {@code o}. */
    public void addTo(JsonObject o) {
        o.addProperty("upload_bytes", uploadBytes());
        o.addProperty("upload_s", uploadSeconds());
        o.addProperty("weight_upload_bytes", weightUploadBytes);
        o.addProperty("weight_upload_s", weightUploadSeconds);
        o.addProperty("residual_upload_bytes", residualUploadBytes);
        o.addProperty("residual_upload_s", residualUploadSeconds);
        o.addProperty("download_bytes", downloadBytes);
        o.addProperty("download_s", downloadSeconds);
    }
}
