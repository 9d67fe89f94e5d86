package org.fpwap.result;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.TypeLayout;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * An Arrow IPC file writer that leaves out the validity bitmap of every array without nulls, as the Arrow
 * format allows ("fields with null_count == 0 may set the length of the bitmap buffer to 0"). Arrow Java
 * always writes them; for int8 values a bitmap is one bit per byte, 12.5% of the data, which would undo a
 * good part of what int8 storage saves. Readers (pyarrow, Arrow Java, polars, DuckDB) treat a missing
 * bitmap as all valid.
 */
final class CompactArrowFileWriter extends ArrowFileWriter {

    private final VectorSchemaRoot root;
    private final BufferAllocator allocator;

    CompactArrowFileWriter(VectorSchemaRoot root, WritableByteChannel channel, BufferAllocator allocator) {
        super(root, new DictionaryProvider.MapDictionaryProvider(), channel);
        this.root = root;
        this.allocator = allocator;
    }

    /** Writes the root's current contents as one record batch, without all-valid bitmaps. */
    void writeCompactBatch() throws IOException {
        try (ArrowRecordBatch batch = new VectorUnloader(root).getRecordBatch()) {
            List<ArrowFieldNode> nodes = batch.getNodes();
            List<ArrowBuf> buffers = new ArrayList<>(batch.getBuffers());
            int[] cursor = {0, 0}; // node index, buffer index
            for (Field field : root.getSchema().getFields()) {
                dropAllValidBitmaps(field, nodes, buffers, cursor);
            }
            try (ArrowRecordBatch compact = new ArrowRecordBatch(batch.getLength(), nodes, buffers)) {
                writeRecordBatch(compact);
            }
        }
    }

    /** Walks the fields in the unloader's order (depth first); a field's first buffer is its validity bitmap. */
    private void dropAllValidBitmaps(Field field, List<ArrowFieldNode> nodes, List<ArrowBuf> buffers, int[] cursor) {
        ArrowFieldNode node = nodes.get(cursor[0]++);
        if (node.getNullCount() == 0) {
            buffers.set(cursor[1], allocator.getEmpty());
        }
        cursor[1] += TypeLayout.getTypeBufferCount(field.getType());
        for (Field child : field.getChildren()) {
            dropAllValidBitmaps(child, nodes, buffers, cursor);
        }
    }
}
