package io.isochron.opcua.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(
        name = "Isochron OPC UA server",
        description = "The appliance's OPC UA server (namespace urn:isochron:appliance). See docs/opcua-model.md.")
@interface OpcUaConfig {
    String PID = "io.isochron.opcua";

    @AttributeDefinition(name = "Port", description = "TCP port of the opc.tcp endpoints, 1..65535")
    int port() default 4840;

    @AttributeDefinition(name = "Bind address", description = "Local address to listen on; 0.0.0.0 = all")
    String bindAddress() default "0.0.0.0";

    @AttributeDefinition(name = "Hostname",
            description = "Host name in the endpoint URLs and the generated certificate; empty = this machine's name")
    String hostname() default "";

    @AttributeDefinition(name = "Security policies",
            description = "One endpoint each, SignAndEncrypt: Basic256Sha256, Aes128_Sha256_RsaOaep, "
                    + "Aes256_Sha256_RsaPss; None adds an unencrypted endpoint (not recommended)")
    String[] securityPolicies() default {"Basic256Sha256", "Aes256_Sha256_RsaPss"};

    @AttributeDefinition(name = "Anonymous access", description = "Allow anonymous sessions (read-only)")
    boolean anonymousAccess() default true;

    @AttributeDefinition(name = "Users",
            description = "name:role:pbkdf2-sha256:iterations:salt:hash entries, role viewer or operator; "
                    + "create one with the Gogo command isochron:opcuauser NAME [ROLE]")
    String[] users() default {};

    @AttributeDefinition(name = "Users file",
            description = "More user entries, one per line (# starts a comment), kept out of ConfigAdmin; readable "
                    + "by the service user only. A relative path is read from $CREDENTIALS_DIRECTORY "
                    + "(systemd LoadCredential=). Empty: none")
    String usersFile() default "";

    @AttributeDefinition(name = "Failed logins before lock-out",
            description = "Failed password logins from one client address within 60 s after which that address "
                    + "is refused for the lock-out time; 0..1000, 0: no lock-out")
    int loginMaxFailures() default 5;

    @AttributeDefinition(name = "Lock-out (s)", description = "How long a locked-out address is refused; 1..86400")
    int loginLockoutSeconds() default 60;

    @AttributeDefinition(name = "PKI directory",
            description = "own/, trusted/, issuers/, rejected/, users/; empty = ${isochron.var}/opcua/pki")
    String pkiDir() default "";

    @AttributeDefinition(name = "Sampling interval (ms)",
            description = "How often the node values follow the scheduler state, 10..10000")
    int samplingIntervalMs() default 100;
}
