package io.isochron.api.runtime;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The one way to change the scheduling policy at runtime, used by ConfigAdmin, the shell, OPC UA and
 * MQTT commands alike. A switch takes effect between two decisions.
 */
@ProviderType
public interface PolicyControl {
    /**
     * Switches to {@code policy} with {@code overlapPercent} and makes it the configured policy.
     *
     * @return the name of the policy that was active before
     * @throws IllegalArgumentException naming the bad value and the allowed ones; nothing changes
     */
    String switchPolicy(String policy, double overlapPercent);

    /** The policy deciding now. */
    ActivePolicy active();

    /** Names of the policies that can be selected now (registered policy services), sorted. */
    List<String> available();

    /**
     * @param name the policy deciding now
     * @param overlapPercent its overlap
     * @param configured the policy the configuration asks for; differs from {@code name} while the
     *     scheduler has fallen back because that policy's service is gone
     */
    record ActivePolicy(String name, double overlapPercent, String configured) {
        public boolean fallback() {
            return !name.equals(configured);
        }
    }
}
