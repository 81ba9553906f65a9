package io.isochron.opcua.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class UnitsTest {
    @Test
    void unitIdsAreTheCommonCodeAsAsciiBytes() {
        // Values of OPC UA's UNECE_to_OPCUA.csv.
        assertThat(Units.unitId("P1")).isEqualTo(20529);
        assertThat(Units.unitId("B98")).isEqualTo(4340024);
        assertThat(Units.unitId("CEL")).isEqualTo(4408652);
        assertThat(Units.PERCENT.getUnitId()).isEqualTo(20529);
        assertThat(Units.MICROSECOND.getUnitId()).isEqualTo(4340024);
        assertThat(Units.MICROSECOND.getNamespaceUri()).isEqualTo("http://www.opcfoundation.org/UA/units/un/cefact");
    }

    @Test
    void aCommonCodeHasOneToThreeCharacters() {
        assertThatThrownBy(() -> Units.unitId("ABCD")).hasMessageContaining("1 to 3 characters");
        assertThatThrownBy(() -> Units.unitId("")).hasMessageContaining("1 to 3 characters");
    }
}
