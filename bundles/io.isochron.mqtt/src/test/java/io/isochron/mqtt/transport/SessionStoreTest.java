package io.isochron.mqtt.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.stream.Stream;
import org.eclipse.paho.client.mqttv3.MqttPersistable;
import org.eclipse.paho.client.mqttv3.MqttPersistenceException;
import org.eclipse.paho.client.mqttv3.internal.MqttPersistentData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SessionStoreTest {
    @TempDir
    Path dir;

    private SessionStore open(boolean sync) throws MqttPersistenceException {
        SessionStore s = new SessionStore(dir, sync);
        s.open("edge-1", "tcp://127.0.0.1:1883");
        return s;
    }

    private static MqttPersistable message(String header, String payload) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        byte[] p = payload.getBytes(StandardCharsets.UTF_8);
        // offsets inside larger arrays, as Paho hands them over
        byte[] hp = new byte[h.length + 2];
        System.arraycopy(h, 0, hp, 1, h.length);
        return new MqttPersistentData("k", hp, 1, h.length, p, 0, p.length);
    }

    private static String content(MqttPersistable m) throws MqttPersistenceException {
        return new String(m.getHeaderBytes(), m.getHeaderOffset(), m.getHeaderLength(), StandardCharsets.UTF_8);
    }

    @Test
    void keepsHeaderAndPayloadAsOneBlockAcrossReopen() throws Exception {
        SessionStore s = open(false);
        s.put("s-1", message("H1", "payload-1"));
        s.put("s-2", message("H2", "payload-2"));
        s.put("sc-1", message("C1", ""));
        s.remove("s-1");
        s.close();

        SessionStore again = open(false);
        assertThat(Collections.list(again.keys())).containsExactly("s-2", "sc-1");
        assertThat(content(again.get("s-2"))).isEqualTo("H2payload-2");
        assertThat(content(again.get("sc-1"))).isEqualTo("C1");
        assertThat(again.get("s-1")).isNull();
        assertThat(again.containsKey("s-1")).isFalse();
        again.close();
    }

    @Test
    void aTornTailFromACrashLosesOnlyTheRecordBeingWritten() throws Exception {
        SessionStore s = open(true);
        s.put("s-1", message("H1", "one"));
        s.put("s-2", message("H2", "two"));
        // no close(): as if the process died; then half a record at the end
        Path log;
        try (Stream<Path> files = Files.walk(dir)) {
            log = files.filter(f -> f.getFileName().toString().equals("session.log")).findFirst().orElseThrow();
        }
        Files.write(log, new byte[] {40, 0, 0, 0, 1, 2, 3}, StandardOpenOption.APPEND);

        SessionStore again = open(false);
        assertThat(Collections.list(again.keys())).containsExactly("s-1", "s-2");
        assertThat(content(again.get("s-2"))).isEqualTo("H2two");
        again.put("s-3", message("H3", "three"));
        again.close();
        assertThat(Collections.list(open(false).keys())).containsExactly("s-1", "s-2", "s-3");
    }

    @Test
    void aCorruptRecordEndsTheReplay() throws Exception {
        SessionStore s = open(false);
        s.put("s-1", message("H1", "one"));
        s.close();
        Path log;
        try (Stream<Path> files = Files.walk(dir)) {
            log = files.filter(f -> f.getFileName().toString().equals("session.log")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(log);
        bytes[bytes.length - 1] ^= 0x55;
        Files.write(log, bytes);
        assertThat(Collections.list(open(false).keys())).isEmpty();
    }

    @Test
    void compactsALongLogToTheLiveMessages() throws Exception {
        SessionStore s = open(false);
        String big = "x".repeat(10_000);
        for (int i = 0; i < 2_000; i++) {
            s.put("s-" + i, message("H", big));
            if (i > 0) {
                s.remove("s-" + (i - 1));
            }
        }
        Path log;
        try (Stream<Path> files = Files.walk(dir)) {
            log = files.filter(f -> f.getFileName().toString().equals("session.log")).findFirst().orElseThrow();
        }
        assertThat(Files.size(log)).isLessThan(5L << 20);
        s.close();
        SessionStore again = open(false);
        assertThat(Collections.list(again.keys())).containsExactly("s-1999");
        again.clear();
        assertThat(Collections.list(again.keys())).isEmpty();
    }

    @Test
    void countsTheMessagesBeingSentAndWaitsForRoom() throws Exception {
        SessionStore s = open(false);
        s.put("s-1", message("P1", "one"));
        s.put("s-2", message("P2", "two"));
        s.put("sc-1", message("R1", "")); // QoS 2 confirmation of s-1: the same message
        s.put("r-9", message("I9", "in")); // received, not sent
        assertThat(s.awaitOutgoingBelow(2, 10)).isFalse();
        Thread remover = new Thread(() -> {
            try {
                Thread.sleep(50);
                s.remove("sc-1");
                s.remove("s-1");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        remover.start();
        assertThat(s.awaitOutgoingBelow(2, 5_000)).isTrue();
        remover.join();
        s.close();
        // What a restart finds stored counts too: Paho sends it again before anything new.
        SessionStore again = open(false);
        assertThat(again.awaitOutgoingBelow(1, 10)).isFalse();
        assertThat(again.awaitOutgoingBelow(2, 10)).isTrue();
        again.close();
    }

    @Test
    void refusesWorkWhenNotOpen() throws IOException {
        SessionStore s = new SessionStore(dir, false);
        assertThatThrownBy(() -> s.put("s-1", message("H", "p")))
                .isInstanceOf(MqttPersistenceException.class)
                .hasMessageContaining("not open");
    }
}
