package io.isochron.bridge.kvm.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isochron.bridge.kvm.schedext.EnforcementMode;
import java.lang.annotation.Annotation;
import java.nio.file.Path;
import java.util.BitSet;
import org.junit.jupiter.api.Test;

class KvmSettingsTest {
    private static final BitSet ONLINE = BitSet.valueOf(new long[] {0b1111});

    private static KvmBridgeConfig config(String cpus, int tick, String[] sockets, String[] bandwidths) {
        return config(cpus, tick, sockets, bandwidths, new String[0]);
    }

    private static KvmBridgeConfig config(String cpus, int tick, String[] sockets, String[] bandwidths,
            String[] reservations) {
        return config(cpus, tick, sockets, bandwidths, reservations, "auto");
    }

    private static KvmBridgeConfig config(String cpus, int tick, String[] sockets, String[] bandwidths,
            String[] reservations, String enforcement) {
        return new KvmBridgeConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return KvmBridgeConfig.class;
            }

            @Override
            public String qmpDirectory() {
                return "/run/isochron/vms";
            }

            @Override
            public String[] qmpSockets() {
                return sockets;
            }

            @Override
            public String channelChardev() {
                return "pv0";
            }

            @Override
            public String cpus() {
                return cpus;
            }

            @Override
            public int tickMillis() {
                return tick;
            }

            @Override
            public boolean applyAffinity() {
                return true;
            }

            @Override
            public int channelFramesPerSecond() {
                return 50;
            }

            @Override
            public String[] componentBytesPerSecond() {
                return bandwidths;
            }

            @Override
            public String[] reservations() {
                return reservations;
            }

            @Override
            public String enforcement() {
                return enforcement;
            }

            @Override
            public String schedExtSocket() {
                return "/run/isochron/scx.sock";
            }
        };
    }

    private static final String[] BANDWIDTHS = {"1e9", "1e10", "5e10", "125000000", "11520", "200000000"};

    @Test
    void defaultsToEveryOnlineCpuAndNamesGuestsAfterTheirSockets() {
        KvmSettings s = KvmSettings.from(config("", 100,
                new String[] {"plc=/run/qemu/plc.sock", "/run/qemu/hmi.qmp"}, BANDWIDTHS), ONLINE);
        assertThat(s.hostCpus()).containsExactly(0, 1, 2, 3);
        assertThat(s.sockets()).containsEntry("plc", Path.of("/run/qemu/plc.sock"))
                .containsEntry("hmi", Path.of("/run/qemu/hmi.qmp"));
        assertThat(s.tickNanos()).isEqualTo(100_000_000L);
        assertThat(s.bytesPerSecond()[4]).isEqualTo(11520);
    }

    @Test
    void badValuesAreRefusedWithTheirNameAndWhatIsAllowed() {
        assertThatThrownBy(() -> KvmSettings.from(config("2-5", 100, new String[0], BANDWIDTHS), ONLINE))
                .hasMessage("property 'cpus' = '2-5' must name online CPUs (online: 0,1,2,3)");
        assertThatThrownBy(() -> KvmSettings.from(config("x", 100, new String[0], BANDWIDTHS), ONLINE))
                .hasMessageContaining("property 'cpus' = 'x' is not a CPU list");
        assertThatThrownBy(() -> KvmSettings.from(config("", 5, new String[0], BANDWIDTHS), ONLINE))
                .hasMessage("property 'tickMillis' = 5 is outside 10..10000");
        assertThatThrownBy(() -> KvmSettings.from(config("", 100, new String[] {"bad name=/x"}, BANDWIDTHS), ONLINE))
                .hasMessageContaining("guest name 'bad name'");
        assertThatThrownBy(() -> KvmSettings.from(config("", 100, new String[0], new String[] {"1"}), ONLINE))
                .hasMessageContaining("needs 6 values");
        String[] zero = BANDWIDTHS.clone();
        zero[5] = "0";
        assertThatThrownBy(() -> KvmSettings.from(config("", 100, new String[0], zero), ONLINE))
                .hasMessageContaining("value 6 = '0' must be a positive number");
    }

    @Test
    void reservationsAreParsedAndBadOnesRefusedWithWhatIsAllowed() {
        KvmSettings s = KvmSettings.from(config("", 100, new String[0], BANDWIDTHS,
                new String[] {"plc1/vcpu0=2ms/10ms", " ", "plc1/vcpu1=2ms/10ms@1"}), ONLINE);
        assertThat(s.reservations()).hasSize(2);
        assertThat(s.reservations().get(1).cpus().get(1)).isTrue();
        assertThatThrownBy(() -> KvmSettings.from(config("", 100, new String[0], BANDWIDTHS,
                new String[] {"plc1/vcpu0=2ms"}), ONLINE))
                .hasMessageStartingWith("property 'reservations': reservation 'plc1/vcpu0=2ms' is not "
                        + "VM/vcpuN=RUNTIME/PERIOD[,deadline=D][,reclaim][@CPUS]");
        assertThatThrownBy(() -> KvmSettings.from(config("", 100, new String[0], BANDWIDTHS,
                new String[] {"plc1/vcpu0=2ms/10ms", "plc1/vcpu0=1ms/10ms"}), ONLINE))
                .hasMessage("property 'reservations': plc1/vcpu0 is reserved twice");
        assertThatThrownBy(() -> KvmSettings.from(config("", 100, new String[0], BANDWIDTHS,
                new String[] {"plc1/vcpu0=2ms/10ms@7"}), ONLINE))
                .hasMessage("property 'reservations': partition CPUs of 'plc1/vcpu0=2ms/10ms@7' must be online CPUs "
                        + "(online: 0-3)");
    }

    @Test
    void enforcementIsOneOfThreeNamesAndDefaultsToAuto() {
        assertThat(KvmSettings.from(config("", 100, new String[0], BANDWIDTHS), ONLINE).enforcement())
                .isEqualTo(EnforcementMode.AUTO);
        assertThat(KvmSettings.from(config("", 100, new String[0], BANDWIDTHS, new String[0], " SCHED_EXT "), ONLINE)
                .enforcement()).isEqualTo(EnforcementMode.SCHED_EXT);
        assertThatThrownBy(() -> KvmSettings.from(config("", 100, new String[0], BANDWIDTHS, new String[0], "bpf"),
                ONLINE)).hasMessage("property 'enforcement' = 'bpf' is not one of auto, sched_ext, affinity");
    }
}
