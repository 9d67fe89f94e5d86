package org.fpwap.result;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class InMemoryActivationRowsTest {

    @Test
    void rowDataIsTokenMajorLittleEndianFloat32() {
        var rows = InMemoryActivationRows.ragged(2, List.of(
                ActivationRow.of(9, OptionalLong.empty(), new float[] {1f, 2f}, new float[] {3f, -0.5f})));
        MemorySegment data = rows.rowData(0);
        assertEquals(16, data.byteSize());
        // 1.0f = 0x3f800000 and -0.5f = 0xbf000000, least significant byte first.
        assertEquals(0x3f800000, data.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0));
        assertEquals((byte) 0xbf, data.get(ValueLayout.JAVA_BYTE, 15));
        assertEquals(2, rows.tokenCount(0));
    }

    @Test
    void pooledRowsMustHoldExactlyOneVector() {
        var twoVectors = ActivationRow.of(1, OptionalLong.of(0), new float[2], new float[2]);
        var e = assertThrows(IllegalArgumentException.class,
                () -> InMemoryActivationRows.pooled(2, List.of(twoVectors)));
        assertTrue(e.getMessage().contains("sample 1"), e.getMessage());
    }

    @Test
    void vectorsMustHaveTheHiddenSize() {
        var row = ActivationRow.of(4, OptionalLong.empty(), new float[3]);
        var e = assertThrows(IllegalArgumentException.class, () -> InMemoryActivationRows.pooled(2, List.of(row)));
        assertTrue(e.getMessage().contains("expected hiddenSize 2"), e.getMessage());
    }

    @Test
    void rowsAreEqualOnlyWhenEveryFloatHasTheSameBits() {
        var zero = ActivationRow.of(1, OptionalLong.empty(), new float[] {0.0f});
        var negativeZero = ActivationRow.of(1, OptionalLong.empty(), new float[] {-0.0f});
        var nanA = ActivationRow.of(1, OptionalLong.empty(), new float[] {Float.intBitsToFloat(0x7fc00001)});
        var nanB = ActivationRow.of(1, OptionalLong.empty(), new float[] {Float.intBitsToFloat(0x7fc00002)});
        assertEquals(zero, ActivationRow.of(1, OptionalLong.empty(), new float[] {0.0f}));
        assertTrue(!zero.equals(negativeZero) && !nanA.equals(nanB));
    }

    @Test
    void rowsCopyTheirVectorsSoCallersCannotMutateThem() {
        float[] v = {1f, 2f};
        var row = ActivationRow.of(1, OptionalLong.empty(), v);
        v[0] = 99f;
        row.vectors()[0][1] = 99f;
        assertEquals(List.of(1f, 2f), List.of(row.vector(0)[0], row.vector(0)[1]));
    }
}
