package io.isochron.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The offline command line. Exit codes: 0 success, 2 bad input (one line on stderr), 1 failure.
 */
@Command(name = "isochron", mixinStandardHelpOptions = true, versionProvider = IsochronCommand.Version.class,
        description = "Interference-aware vCPU scheduling: offline simulation, comparison, schedulability analysis and host jitter.",
        subcommands = {SimulateCommand.class, CompareCommand.class, EvaluateCommand.class, AnalyzeCommand.class,
            JitterCommand.class, CheckConfigCommand.class})
public final class IsochronCommand implements Runnable {
    public static final int EXIT_BAD_INPUT = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command (allowed: simulate, compare, evaluate, analyze, jitter, check-config)");
    }

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given streams and returns the exit code. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new IsochronCommand());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("isochron: " + oneLine(ex.getMessage()) + " (see --help)");
            return EXIT_BAD_INPUT;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            if (ex instanceof BadInputException || ex instanceof IllegalArgumentException) {
                err.println("isochron: " + oneLine(ex.getMessage()));
                return EXIT_BAD_INPUT;
            }
            err.println("isochron: failed: " + oneLine(String.valueOf(ex)));
            return 1;
        });
        try {
            return cl.execute(args);
        } finally {
            out.flush();
            err.flush();
        }
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ").trim();
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = IsochronCommand.class.getPackage().getImplementationVersion();
            return new String[] {"isochron " + (v == null ? "development build" : v)};
        }
    }
}
