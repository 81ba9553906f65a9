/** Domain model shared by every Isochron bundle: the I/O categories a vCPU is classified into. */
@Export
@Version("1.0.0")
package io.isochron.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
