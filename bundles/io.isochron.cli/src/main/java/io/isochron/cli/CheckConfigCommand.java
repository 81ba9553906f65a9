package io.isochron.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code isochron check-config DIR|FILE...}: checks OSGi Configurator files the way the appliance
 * reads them; {@code isochron run --config DIR} runs it before starting the framework.
 */
@Command(name = "check-config", mixinStandardHelpOptions = true,
        description = "Check Configurator JSON files (a directory means its *.json) before the appliance reads them: "
                + "one line per problem as FILE:LINE:COLUMN: what is wrong; exit 2 if there is any.")
final class CheckConfigCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "DIR|FILE")
    List<Path> paths;

    @Option(names = "--json", description = "Print {\"files\": n, \"problems\": [line, ...]} on stdout instead")
    boolean json;

    /** The --json result. */
    record Result(int files, List<String> problems) {}

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        List<Path> files = new ArrayList<>();
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(p, "*.json")) {
                    ds.forEach(files::add);
                }
            } else if (Files.isRegularFile(p)) {
                files.add(p);
            } else {
                throw new BadInputException("'" + p + "' is neither a directory nor a file");
            }
        }
        files.sort(null);
        List<String> problems = new ArrayList<>();
        for (Path f : files) {
            problems.addAll(ConfiguratorFileCheck.check(f));
        }
        if (json) {
            Output.json(out, new Result(files.size(), problems));
        } else if (problems.isEmpty()) {
            out.println(files.size() + " configuration file(s) fine");
        }
        if (!json) {
            problems.forEach(p -> err.println("isochron: " + p));
        }
        return problems.isEmpty() ? 0 : IsochronCommand.EXIT_BAD_INPUT;
    }
}
