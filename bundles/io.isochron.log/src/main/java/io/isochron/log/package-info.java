/**
 * Logging shared by every Isochron bundle: {@link io.isochron.log.RateLimitedLog}, the one way a
 * recurring fault is logged without flooding the log. The bundle also writes every log record of the
 * appliance (Java logging and the OSGi Log Service) in one format, with levels from configuration
 * (PID {@code io.isochron.log}).
 */
@Export
@Version("1.0.0")
package io.isochron.log;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
