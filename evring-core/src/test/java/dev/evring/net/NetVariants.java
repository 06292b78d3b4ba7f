package dev.evring.net;

import dev.evring.Backend;
import dev.evring.LoopVariant;
import dev.evring.LoopVariants;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The loops the net suite runs on: every {@link LoopVariants#all()} entry, plus, on io_uring, one variant per
 * fallback of the completion path forced on (so each runs on this kernel too) and the readiness emulation on the ring.
 */
public final class NetVariants {
    private NetVariants() {}

    public static List<LoopVariant> all() {
        List<LoopVariant> v = new ArrayList<>(LoopVariants.all());
        LoopVariant ring = null;
        for (LoopVariant x : v) {
            if (x.backend() == Backend.IO_URING) {
                ring = x;
                break;
            }
        }
        if (ring != null) {
            v.add(derive(ring, "net-singleshot-accept", Map.of("net.multishot_accept", "false")));
            v.add(derive(ring, "net-singleshot-recv", Map.of("net.multishot_recv", "false")));
            v.add(derive(ring, "net-no-buffer-ring", Map.of("net.buffer_ring", "false")));
            v.add(derive(ring, "net-readiness", Map.of("net.completion", "readiness")));
            v.add(derive(ring, "net-incremental-recv", Map.of("net.recv_incremental", "true")));
            v.add(derive(ring, "net-direct-descriptors", Map.of("net.direct_descriptors", "true")));
        }
        return v;
    }

    /**
     * {@link #all()} and, on io_uring, datagram receives as multishot RECVMSG over the receive pool's buffer ring
     * ({@code net.udp_multishot=true}, off by default): the classes that receive datagrams run on it too. Only those:
     * the option changes nothing else, so the rest of the suite would run twice for nothing.
     */
    public static List<LoopVariant> datagrams() {
        List<LoopVariant> v = all();
        for (LoopVariant x : LoopVariants.all()) {
            if (x.backend() == Backend.IO_URING) {
                v.add(derive(x, "net-udp-multishot", Map.of("net.udp_multishot", "true")));
                break;
            }
        }
        return v;
    }

    private static LoopVariant derive(LoopVariant base, String suffix, Map<String, String> extra) {
        Map<String, String> options = new HashMap<>(base.options());
        options.putAll(extra);
        return new LoopVariant(base.name() + " " + suffix, base.backend(), Map.copyOf(options), base.unsupported());
    }
}
