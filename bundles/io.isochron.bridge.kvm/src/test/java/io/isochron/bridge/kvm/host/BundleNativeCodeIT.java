package io.isochron.bridge.kvm.host;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fazecast.jSerialComm.SerialPort;
import io.isochron.api.IoCategory;
import org.HdrHistogram.Histogram;
import org.apache.felix.scr.impl.runtime.ServiceComponentRuntimeImpl;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.util.function.Function;
import org.osgi.util.promise.Promise;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.felix.framework.FrameworkFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;

/** The packaged bundle in a real Felix: the library must come through Bundle-NativeCode. */
class BundleNativeCodeIT {
    @TempDir
    Path cache;

    @Test
    void bundleLoadsItsLibraryThroughBundleNativeCode() throws Exception {
        Framework felix = new FrameworkFactory().newFramework(Map.of(
                Constants.FRAMEWORK_STORAGE, cache.toString(),
                Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT));
        felix.start();
        try {
            List<Bundle> bundles = new ArrayList<>();
            // what the bridge imports or requires: Jackson, the API, the log and config libraries (with the Felix
            // Log Service, which exports the Log Service API the log bundle imports), HdrHistogram (which imports JAXB), jSerialComm, and Declarative Services
            // (its component needs the osgi.component extender)
            for (Class<?> dependency : List.of(JsonProperty.class, JsonFactory.class, ObjectMapper.class,
                    IoCategory.class, io.isochron.log.RateLimitedLog.class, io.isochron.config.ConfigGuard.class,
                    Class.forName("org.apache.felix.log.Activator"), Histogram.class, SerialPort.class, ServiceComponentRuntime.class,
                    Promise.class, Function.class, ServiceComponentRuntimeImpl.class, javax.xml.bind.JAXB.class,
                    javax.activation.DataHandler.class)) {
                bundles.add(install(felix, Path.of(dependency.getProtectionDomain().getCodeSource().getLocation().toURI())));
            }
            Bundle bridge = install(felix, Path.of(System.getProperty("isochron.bundle")));
            bundles.add(bridge);
            for (Bundle b : bundles) {
                b.start();
            }
            Class<?> kernelClass = bridge.loadClass(Kernel.class.getName());
            assertThat(kernelClass.getClassLoader()).as("the bundle's own copy").isNotSameAs(Kernel.class.getClassLoader());

            Object kernel = kernelClass.getMethod("load").invoke(null);
            int tid = (int) kernelClass.getMethod("currentThreadId").invoke(kernel);

            assertThat(new ProcFs().threads((int) ProcessHandle.current().pid())).contains(tid);
            // Felix extracts Bundle-NativeCode libraries into its cache before System.loadLibrary.
            try (Stream<Path> files = Files.walk(cache)) {
                assertThat(files.map(p -> p.getFileName().toString())).contains("libisochron-native.so");
            }
        } finally {
            felix.stop();
            felix.waitForStop(10_000);
        }
    }

    private static Bundle install(Framework felix, Path jar) throws Exception {
        return felix.getBundleContext().installBundle(jar.toUri().toString());
    }
}
