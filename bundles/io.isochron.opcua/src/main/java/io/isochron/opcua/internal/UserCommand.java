package io.isochron.opcua.internal;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.util.Arrays;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;

/**
 * Creates a {@code users} entry for the OPC UA server: Gogo {@code isochron:opcuauser NAME [ROLE]},
 * or offline {@code java -cp io.isochron.opcua.jar io.isochron.opcua.internal.UserCommand NAME [ROLE]}.
 * The password is read twice, without echo where there is a terminal, and never printed.
 */
@Component(service = UserCommand.class, property = {
    "osgi.command.scope=isochron",
    "osgi.command.function=opcuauser"
})
public class UserCommand {

    @Descriptor("print a 'users' entry of io.isochron.opcua for an operator; asks for the password")
    public String opcuauser(@Descriptor("user name") String name) throws IOException {
        return opcuauser(name, Role.OPERATOR.configName());
    }

    @Descriptor("print a 'users' entry of io.isochron.opcua; asks for the password")
    public String opcuauser(@Descriptor("user name") String name, @Descriptor("viewer or operator") String role)
            throws IOException {
        Role r;
        try {
            r = Role.parse(role);
        } catch (IllegalArgumentException e) {
            return "isochron: " + e.getMessage() + "\n";
        }
        char[] password = readPassword("Password for " + name + ": ");
        char[] again = readPassword("Repeat the password: ");
        try {
            if (password == null || password.length == 0) {
                return "isochron: no password given\n";
            }
            if (!Arrays.equals(password, again)) {
                return "isochron: the passwords differ\n";
            }
            return UserEntry.create(name, r, password).format() + "\n";
        } catch (IllegalArgumentException e) {
            return "isochron: " + e.getMessage() + "\n";
        } finally {
            if (password != null) {
                Arrays.fill(password, '\0');
            }
            if (again != null) {
                Arrays.fill(again, '\0');
            }
        }
    }

    /** From the terminal without echo; else a line from standard input (Gogo's session input). */
    private static char[] readPassword(String prompt) throws IOException {
        Console console = System.console();
        if (console != null) {
            return console.readPassword("%s", prompt);
        }
        System.out.print(prompt);
        System.out.flush();
        String line = new BufferedReader(new InputStreamReader(System.in, Charset.defaultCharset())).readLine();
        return line == null ? null : line.toCharArray();
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: UserCommand NAME [viewer|operator]");
            System.exit(2);
        }
        String out = new UserCommand().opcuauser(args[0], args.length == 2 ? args[1] : Role.OPERATOR.configName());
        System.out.print(out);
        System.exit(out.startsWith("isochron: ") ? 2 : 0);
    }
}
