package io.isochron.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isochron.api.scheduling.SchedulingPolicy;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.MetaTypeInformation;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.common.service.ServiceAware;

/** The appliance's bundles, started on Felix with SCR, ConfigAdmin, MetaType and the Configurator. */
class SchedulerRuntimeTest {

    private static final long TIMEOUT_MS = 10_000;

    private static final Set<String> BUILT_IN_POLICIES =
            Set.of("shortest-queue", "interference-aware", "edf-refinement", "edf");

    @InjectBundleContext
    BundleContext context;

    @Test
    void builtInPoliciesAreRegisteredUnderTheirNames(
            @InjectService(cardinality = 4, timeout = TIMEOUT_MS) ServiceAware<SchedulingPolicy> policies) {
        Map<String, SchedulingPolicy> byName = new HashMap<>();
        for (ServiceReference<SchedulingPolicy> reference : policies.getServiceReferences()) {
            Object name = reference.getProperty(SchedulingPolicy.NAME_PROPERTY);
            assertTrue(name instanceof String, () -> "policy service without a name: " + reference);
            SchedulingPolicy policy = context.getService(reference);
            try {
                assertNotNull(policy, () -> "policy service " + name + " cannot be obtained");
                assertEquals(name, policy.name(), "service property and name() disagree");
                byName.put((String) name, policy);
            } finally {
                context.ungetService(reference);
            }
        }
        assertTrue(byName.keySet().containsAll(BUILT_IN_POLICIES),
                () -> "registered policies " + byName.keySet() + ", expected at least " + BUILT_IN_POLICIES);
    }

    @Test
    void interferenceAwareKeepsTheConfiguredOverlap(
            @InjectService(filter = "(" + SchedulingPolicy.NAME_PROPERTY + "=interference-aware)", timeout = TIMEOUT_MS)
                    SchedulingPolicy policy) {
        assertEquals(25.0, policy.configure(25).overlapPercent(), 0.0);
    }

    @Test
    void everyConfigurationPidIsDescribedByMetaType(@InjectService(timeout = TIMEOUT_MS) MetaTypeService metaType) {
        List<String> described = new ArrayList<>();
        for (Bundle bundle : context.getBundles()) {
            String bsn = bundle.getSymbolicName();
            if (bsn == null || !bsn.startsWith("io.isochron.")) {
                continue;
            }
            MetaTypeInformation info = metaType.getMetaTypeInformation(bundle);
            if (info == null) {
                continue;
            }
            List<String> pids = new ArrayList<>(List.of(info.getPids()));
            pids.addAll(List.of(info.getFactoryPids()));
            for (String pid : pids) {
                ObjectClassDefinition ocd = info.getObjectClassDefinition(pid, null);
                assertNotNull(ocd, () -> bsn + ": no object class definition for " + pid);
                AttributeDefinition[] attributes = ocd.getAttributeDefinitions(ObjectClassDefinition.ALL);
                assertNotNull(attributes, () -> bsn + ": " + pid + " has no attributes");
                for (AttributeDefinition attribute : attributes) {
                    assertNotNull(attribute.getID(), () -> bsn + ": " + pid + " has an attribute without id");
                }
                described.add(bsn + "/" + pid);
            }
        }
        assertTrue(described.containsAll(List.of("io.isochron.scheduler/io.isochron.scheduler",
                "io.isochron.sim/io.isochron.sim.hypervisor")), () -> "metatype found for " + described);
    }

    @Test
    void defaultConfigurationReachesConfigAdmin(@InjectService(timeout = TIMEOUT_MS) ConfigurationAdmin configAdmin)
            throws Exception {
        Dictionary<String, Object> properties = null;
        long deadline = System.currentTimeMillis() + TIMEOUT_MS;
        while (properties == null && System.currentTimeMillis() < deadline) {
            Configuration[] configurations = configAdmin.listConfigurations("(service.pid=io.isochron.scheduler)");
            if (configurations != null && configurations.length == 1) {
                properties = configurations[0].getProperties();
            }
            if (properties == null) {
                Thread.sleep(50);
            }
        }
        assertNotNull(properties, "the Configurator did not apply io.isochron.config.sim");
        assertEquals("interference-aware", properties.get("policy"));
        assertEquals(0.0, properties.get("overlapPercent"));
        assertFalse(properties.get("overlapPercent") instanceof String);
    }
}
