/**
 * How every Isochron component takes its configuration: {@link io.isochron.config.ConfigGuard}
 * converts the raw ConfigAdmin properties to the component's metatype-annotated config type itself
 * (a wrong type is one line naming PID, property, value and what is allowed, never an exception
 * from deep inside DS), rejects unknown property names, runs the component's own checks, and keeps
 * the last good configuration — the documented defaults at boot — when a new one is rejected.
 */
@Export
@Version("1.0.0")
package io.isochron.config;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
