package io.github.panamarnn.examples;

import static io.github.panamarnn.graph.Dy.renewCg;
import static io.github.panamarnn.graph.Dy.vecInput;

import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.graph.SimpleSGDTrainer;
import io.github.panamarnn.graph.Trainer;
import io.github.panamarnn.rnn.GRUBuilder;
import io.github.panamarnn.rnn.LSTMBuilder;
import io.github.panamarnn.rnn.RNNBuilder;
import io.github.panamarnn.rnn.RNNState;
import io.github.panamarnn.rnn.SimpleRNNBuilder;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Random;

/**
 * DyNet's RNN tutorial as a program: it walks through the builders and states the way the
 * notebook does, then trains the tutorial's character language model with a simple RNN and an
 * LSTM and reports the speed. With {@code --text FILE} it trains the same model on any UTF-8
 * text instead, with a progress line, and can save and load the model. Run with {@code --help}
 * for the options.
 */
public final class TutorialDemo {

    static final String FOX = "a quick brown fox jumped over the lazy dog";
    static final String PRETZELS = "these pretzels are making me thirsty";
    private static final int MAX_SAMPLE_LENGTH = 100;
    /** Wall time each tutorial configuration trains on after its run, to measure its steady speed. */
    private static final long STEADY_NANOS = 2_000_000_000L;
    private static final int MAX_LINE_CODE_POINTS = 200;
    private static final String META_FORMAT = "panama-rnn-char-lm/1";

    private static final String USAGE = """
            usage: TutorialDemo [options]
              (no options)          the DyNet RNN tutorial: builders, states, then the character
                                    language model trained with a simple RNN and an LSTM
              --text FILE           train the character model on the lines of a UTF-8 text file
              --builder lstm|rnn|gru  recurrent network for --text/--load (default lstm)
              --layers N            layers (default 2)
              --hidden N            hidden and input dimension (default 50)
              --iterations N        training iterations: sentences, or minibatches with --batch
                                    (default 10 passes over the text; tutorial: 200 per run)
              --batch N             train on minibatches of N lines of similar length, one graph
                                    and one update per minibatch (default 1)
              --save FILE           save the trained model to FILE (and FILE.meta)
              --load FILE           start from a model saved with --save
              --sample N            print N generated samples at the end (default 5)
              --seed N              random seed (default 42)
              --help                this text""";

    private final PrintStream out;

    private TutorialDemo(PrintStream out) {
        this.out = out;
    }

    /** Runs the demo and exits with its status: 0 on success, 2 for bad options, 1 for unreadable or unwritable files. */
    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        System.out.flush();
        if (status != 0) {
            System.exit(status);
        }
    }

    /**
     * Runs the demo with the given arguments, printing to {@code out} and problems to {@code err}
     * as one line each (no stack trace).
     *
     * @return the exit status: 0 success, 2 bad options, 1 unreadable or unwritable files
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage() + " (see --help)");
            return 2;
        }
        if (options.help) {
            out.println(USAGE);
            return 0;
        }
        try {
            TutorialDemo demo = new TutorialDemo(out);
            if (options.text == null && options.load == null) {
                demo.tutorial(options);
            } else {
                demo.trainOnText(options);
            }
            return 0;
        } catch (DemoException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
    }

    // ------------------------------------------------------------------ the notebook

    private void tutorial(Options options) {
        out.println("== Builders and states (DyNet RNN tutorial) ==");
        try (ParameterCollection pc = new ParameterCollection(options.seed)) {
            LSTMBuilder builder = new LSTMBuilder(2, 50, 10, pc);
            renewCg();
            RNNState s0 = builder.initialState();
            Expression x1 = vecInput(50);
            RNNState s1 = s0.addInput(x1);
            Expression y1 = s1.output();
            out.println("LSTMBuilder(2, 50, 10): s1.output().dim() = " + y1.dim());
            RNNState s2 = s1.addInput(x1);
            out.println("s2.output() = " + Arrays.toString(s2.output().vecValue()));
            out.println("s2.h(): one output per layer: " + dims(s2.h()));
            out.println("s2.s(): LSTM cells then outputs: " + dims(s2.s()));

            SimpleRNNBuilder srnn = new SimpleRNNBuilder(2, 50, 10, pc);
            RNNState r0 = srnn.initialState();
            RNNState r1 = r0.addInput(x1);
            out.println("SimpleRNNBuilder(2, 50, 10): r1.output().dim() = " + r1.output().dim()
                    + ", s() == h(): " + r1.s().equals(r1.h()));

            Expression x = vecInput(50);
            RNNState b2 = r1.addInput(x);
            RNNState b3 = b2.addInput(x);
            RNNState b4 = b3.addInput(x);
            RNNState b5 = b3.addInput(x);
            RNNState b6 = b3.prev().addInput(x);
            out.println("branching: s4.prev() == s3: " + (b4.prev() == b3) + ", s5.prev() == s3: " + (b5.prev() == b3)
                    + ", s6.prev() == s2: " + (b6.prev() == b2) + ", s4 != s5: " + (b4 != b5));

            List<Expression> xs = List.of(x, x, x);
            List<RNNState> states = r0.addInputs(xs);
            List<Expression> outputs = builder.initialState().transduce(xs);
            out.println("addInputs: " + states.size() + " states, last output " + states.get(2).output().dim()
                    + "; transduce: " + outputs.size() + " outputs of " + outputs.get(0).dim());
        }

        out.println();
        out.println("== Character language model ==");
        try (ParameterCollection pc = new ParameterCollection(options.seed)) {
            CharVocabulary vocabulary = CharVocabulary.tutorial();
            int iterations = options.iterations > 0 ? options.iterations : 200;
            SimpleRNNBuilder srnn = new SimpleRNNBuilder(2, 50, 50, pc);
            LSTMBuilder lstm = new LSTMBuilder(2, 50, 50, pc);
            CharLanguageModel model = new CharLanguageModel(pc, vocabulary, 50, 50);
            Random random = new Random(options.seed);
            List<String> timings = new ArrayList<>();
            timings.add(trainTutorialRun(pc, model, "simple RNN", srnn, FOX, iterations, random));
            timings.add(trainTutorialRun(pc, model, "LSTM", lstm, FOX, iterations, random));
            timings.add(trainTutorialRun(pc, model, "LSTM", lstm, PRETZELS, iterations, random));
            out.println();
            out.println("== Speed (training steps only: graph, forward, backward, SGD update) ==");
            out.println("during the runs above, while the JIT was still compiling the kernels:");
            timings.forEach(out::println);
            out.println("steady state: each configuration trained for " + STEADY_NANOS / 1_000_000_000L
                    + " s more, the median of its last second:");
            out.println(steadySpeed(pc, model, "simple RNN", srnn, FOX));
            out.println(steadySpeed(pc, model, "LSTM", lstm, FOX));
            out.println(steadySpeed(pc, model, "LSTM", lstm, PRETZELS));
        }
    }

    private String trainTutorialRun(ParameterCollection pc, CharLanguageModel model, String name, RNNBuilder rnn,
                                    String sentence, int iterations, Random random) {
        out.println();
        out.println("-- " + name + " on \"" + sentence + "\", " + iterations + " iterations --");
        Trainer trainer = new SimpleSGDTrainer(pc);
        int[] ids = model.vocabulary().encodeSentence(sentence);
        long trainingNanos = 0;
        long[] iterationNanos = new long[iterations];
        for (int i = 0; i < iterations; i++) {
            long start = System.nanoTime();
            float value = trainStep(trainer, model.sentenceLoss(rnn, ids));
            iterationNanos[i] = System.nanoTime() - start;
            trainingNanos += iterationNanos[i];
            if (i % 5 == 0) {
                out.printf(Locale.ROOT, "%4d  loss %9.4f  %s%n", i, value, model.generate(rnn, random, MAX_SAMPLE_LENGTH));
            }
        }
        // The first iterations run while the JIT is still compiling the Vector API kernels
        // (the very first takes about a second); the median of the second half is the speed
        // of the trained program, the mean over all iterations what this run cost.
        long[] secondHalf = Arrays.copyOfRange(iterationNanos, iterations / 2, iterations);
        Arrays.sort(secondHalf);
        double medianMicros = secondHalf[secondHalf.length / 2] / 1e3;
        double meanMicros = trainingNanos / 1e3 / iterations;
        return String.format(Locale.ROOT,
                "%-10s on %2d characters: %8.1f us per iteration, %9.0f characters/s (median of the last %d;"
                        + " mean of all %d with JIT warm-up: %.1f us)",
                name, ids.length - 1, medianMicros, (ids.length - 1) / (medianMicros / 1e6), secondHalf.length,
                iterations, meanMicros);
    }

    /**
     * Trains {@code rnn} on {@code sentence} for {@link #STEADY_NANOS} more and reports the median
     * iteration of the second half: the speed once the JIT has compiled the kernels, which the
     * tutorial's 200 iterations (well under a second) do not reach.
     */
    private String steadySpeed(ParameterCollection pc, CharLanguageModel model, String name, RNNBuilder rnn,
                               String sentence) {
        Trainer trainer = new SimpleSGDTrainer(pc);
        int[] ids = model.vocabulary().encodeSentence(sentence);
        long[] timed = new long[1024];
        int count = 0;
        long begin = System.nanoTime();
        long measureFrom = begin + STEADY_NANOS / 2;
        long now = begin;
        while (now - begin < STEADY_NANOS) {
            trainStep(trainer, model.sentenceLoss(rnn, ids));
            long end = System.nanoTime();
            if (now - measureFrom >= 0) {
                if (count == timed.length) {
                    timed = Arrays.copyOf(timed, 2 * count);
                }
                timed[count++] = end - now;
            }
            now = end;
        }
        Arrays.sort(timed, 0, count);
        double medianMicros = timed[count / 2] / 1e3;
        return String.format(Locale.ROOT, "%-10s on %2d characters: %8.1f us per iteration, %9.0f characters/s (median of %d)",
                name, ids.length - 1, medianMicros, (ids.length - 1) / (medianMicros / 1e6), count);
    }

    /** One training step on a loss just built: forward, backward, update; returns the loss. */
    private static float trainStep(Trainer trainer, Expression loss) {
        float value = loss.scalarValue();
        loss.backward();
        trainer.update();
        return value;
    }

    private static String dims(List<Expression> expressions) {
        StringBuilder sb = new StringBuilder("[");
        for (Expression e : expressions) {
            sb.append(sb.length() > 1 ? ", " : "").append(e.dim());
        }
        return sb.append(']').toString();
    }

    // ------------------------------------------------------------------ training on a text file

    private void trainOnText(Options options) {
        ModelShape shape;
        List<String> lines = options.text == null ? List.of() : readLines(options.text);
        if (options.load != null) {
            shape = ModelShape.read(metaPath(options.load));
        } else {
            shape = new ModelShape(options.builder, options.layers, options.hidden, CharVocabulary.of(lines));
        }
        try (ParameterCollection pc = new ParameterCollection(options.seed)) {
            RNNBuilder rnn = shape.newBuilder(pc);
            CharLanguageModel model = new CharLanguageModel(pc, shape.vocabulary, shape.hidden, shape.hidden);
            if (options.load != null) {
                try {
                    pc.load(options.load);
                } catch (IOException e) {
                    throw new DemoException("cannot load model " + options.load + ": " + e.getMessage());
                }
                out.println("loaded " + shape.builder + " model (" + shape.layers + " layers, hidden " + shape.hidden
                        + ", " + shape.vocabulary.size() + " symbols) from " + options.load);
            }
            Random random = new Random(options.seed);
            if (!lines.isEmpty()) {
                List<int[]> sentences = new ArrayList<>(lines.size());
                for (String line : lines) {
                    try {
                        sentences.add(shape.vocabulary.encodeSentence(line));
                    } catch (IllegalArgumentException e) {
                        throw new DemoException(options.text + ": " + e.getMessage() + " of the loaded model");
                    }
                }
                List<List<int[]>> batches = minibatches(sentences, options.batch);
                int iterations = options.iterations > 0 ? options.iterations : 10 * batches.size();
                train(pc, rnn, model, batches, iterations, random);
            }
            if (options.save != null) {
                save(pc, shape, options.save);
                out.println("saved model to " + options.save + " and " + metaPath(options.save));
            }
            for (int i = 0; i < options.samples; i++) {
                out.println("sample: " + model.generate(rnn, random, MAX_SAMPLE_LENGTH));
            }
        }
    }

    /**
     * The sentences cut into minibatches of at most {@code size}: sorted by length first (stable,
     * so equal lengths keep the text's order), so that a minibatch pads little, as DyNet's
     * minibatching examples do. A size of 1 keeps one sentence per minibatch, in the text's order.
     */
    static List<List<int[]>> minibatches(List<int[]> sentences, int size) {
        List<int[]> sorted = new ArrayList<>(sentences);
        if (size > 1) {
            sorted.sort(Comparator.comparingInt(ids -> ids.length));
        }
        List<List<int[]>> batches = new ArrayList<>();
        for (int from = 0; from < sorted.size(); from += size) {
            batches.add(List.copyOf(sorted.subList(from, Math.min(sorted.size(), from + size))));
        }
        return batches;
    }

    private void train(ParameterCollection pc, RNNBuilder rnn, CharLanguageModel model, List<List<int[]>> batches,
                       int iterations, Random random) {
        Trainer trainer = new SimpleSGDTrainer(pc);
        long start = System.nanoTime();
        long lastReport = start;
        long characters = 0;
        double windowLoss = 0;
        long windowChars = 0;
        int[] order = shuffledOrder(batches.size(), random);
        for (int i = 0; i < iterations; i++) {
            if (i > 0 && i % batches.size() == 0) {
                order = shuffledOrder(batches.size(), random);
            }
            List<int[]> batch = batches.get(order[i % batches.size()]);
            windowLoss += trainStep(trainer,
                    batch.size() == 1 ? model.sentenceLoss(rnn, batch.get(0)) : model.batchLoss(rnn, batch));
            long batchChars = 0;
            for (int[] ids : batch) {
                batchChars += ids.length - 1;
            }
            characters += batchChars;
            windowChars += batchChars;
            long now = System.nanoTime();
            if (now - lastReport > 1_000_000_000L || i == iterations - 1) {
                double seconds = (now - start) / 1e9;
                double eta = seconds / (i + 1) * (iterations - i - 1);
                out.printf(Locale.ROOT, "iteration %d/%d  loss/char %.4f  %.0f chars/s  ETA %s%n", i + 1, iterations,
                        windowLoss / windowChars, characters / seconds, formatDuration(eta));
                windowLoss = 0;
                windowChars = 0;
                lastReport = now;
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        out.printf(Locale.ROOT, "trained %d iterations in %.1f s: %.1f us per iteration, %.0f characters/s%n",
                iterations, seconds, seconds * 1e6 / iterations, characters / seconds);
    }

    private static int[] shuffledOrder(int n, Random random) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    private static String formatDuration(double seconds) {
        long s = Math.round(seconds);
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }

    /** Non-empty lines of a UTF-8 file, each cut into pieces of at most 200 code points. */
    private static List<String> readLines(Path file) {
        List<String> raw;
        try {
            if (Files.isDirectory(file)) {
                throw new DemoException("cannot read " + file + ": it is a directory");
            }
            raw = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new DemoException("cannot read " + file + ": it is not valid UTF-8 text");
        } catch (IOException e) {
            throw new DemoException("cannot read " + file + ": " + describe(e));
        }
        List<String> lines = new ArrayList<>();
        for (String line : raw) {
            int[] cps = line.strip().codePoints().toArray();
            for (int from = 0; from < cps.length; from += MAX_LINE_CODE_POINTS) {
                lines.add(new String(cps, from, Math.min(MAX_LINE_CODE_POINTS, cps.length - from)));
            }
        }
        if (lines.isEmpty()) {
            throw new DemoException(file + " has no text to train on");
        }
        return lines;
    }

    private static String describe(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static Path metaPath(Path model) {
        return model.resolveSibling(model.getFileName() + ".meta");
    }

    private static void save(ParameterCollection pc, ModelShape shape, Path file) {
        try {
            pc.save(file);
            shape.write(metaPath(file));
        } catch (IOException e) {
            throw new DemoException("cannot save model to " + file + ": " + describe(e));
        }
    }

    /** The architecture and vocabulary a saved model needs to be rebuilt before its values are loaded. */
    private record ModelShape(String builder, int layers, int hidden, CharVocabulary vocabulary) {

        RNNBuilder newBuilder(ParameterCollection pc) {
            return switch (builder) {
                case "lstm" -> new LSTMBuilder(layers, hidden, hidden, pc);
                case "rnn" -> new SimpleRNNBuilder(layers, hidden, hidden, pc);
                case "gru" -> new GRUBuilder(layers, hidden, hidden, pc);
                default -> throw new DemoException("unknown builder " + builder);
            };
        }

        void write(Path file) throws IOException {
            Properties p = new Properties();
            p.setProperty("format", META_FORMAT);
            p.setProperty("builder", builder);
            p.setProperty("layers", Integer.toString(layers));
            p.setProperty("hidden", Integer.toString(hidden));
            p.setProperty("characters", String.join("", vocabulary.characters()));
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                p.store(w, "panama-rnn character language model");
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        }

        static ModelShape read(Path file) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException | IllegalArgumentException e) {
                throw new DemoException("cannot read model description " + file + ": "
                        + (e instanceof IOException io ? describe(io) : e.getMessage()));
            }
            if (!META_FORMAT.equals(p.getProperty("format"))) {
                throw new DemoException(file + " is not a panama-rnn character model description");
            }
            try {
                String builder = Options.builderName(p.getProperty("builder"));
                int layers = Options.positive("layers", p.getProperty("layers"));
                int hidden = Options.positive("hidden", p.getProperty("hidden"));
                String chars = p.getProperty("characters", "");
                List<String> characters = new ArrayList<>();
                chars.codePoints().forEach(cp -> characters.add(new String(Character.toChars(cp))));
                return new ModelShape(builder, layers, hidden, CharVocabulary.ofCharacters(characters));
            } catch (IllegalArgumentException e) {
                throw new DemoException(file + " is damaged: " + e.getMessage());
            }
        }
    }

    /** A failure to report as one line. */
    private static final class DemoException extends RuntimeException {
        DemoException(String message) {
            super(message, null, false, false);
        }
    }

    /** The parsed command line. */
    static final class Options {
        Path text;
        Path save;
        Path load;
        String builder = "lstm";
        int layers = 2;
        int hidden = 50;
        int iterations;
        int samples = 5;
        int batch = 1;
        long seed = 42;
        boolean help;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                if (arg.equals("--help") || arg.equals("-h")) {
                    o.help = true;
                    continue;
                }
                if (!arg.startsWith("--")) {
                    throw new IllegalArgumentException("unexpected argument '" + arg + "'");
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("option " + arg + " needs a value");
                }
                String value = args[++i];
                switch (arg) {
                    case "--text" -> o.text = Path.of(value);
                    case "--save" -> o.save = Path.of(value);
                    case "--load" -> o.load = Path.of(value);
                    case "--builder" -> o.builder = builderName(value);
                    case "--layers" -> o.layers = positive(arg, value);
                    case "--hidden" -> o.hidden = positive(arg, value);
                    case "--iterations" -> o.iterations = positive(arg, value);
                    case "--sample" -> o.samples = nonNegative(arg, value);
                    case "--batch" -> o.batch = positive(arg, value);
                    case "--seed" -> o.seed = parseLong(arg, value);
                    default -> throw new IllegalArgumentException("unknown option " + arg);
                }
            }
            if (o.save != null && o.text == null) {
                throw new IllegalArgumentException("--save needs --text: there is nothing to train");
            }
            return o;
        }

        static String builderName(String value) {
            if (value == null || !(value.equals("lstm") || value.equals("rnn") || value.equals("gru"))) {
                throw new IllegalArgumentException("builder must be lstm, rnn or gru, got '" + value + "'");
            }
            return value;
        }

        static int positive(String name, String value) {
            int v = parseInt(name, value);
            if (v <= 0) {
                throw new IllegalArgumentException(name + " must be positive, got " + value);
            }
            return v;
        }

        static int nonNegative(String name, String value) {
            int v = parseInt(name, value);
            if (v < 0) {
                throw new IllegalArgumentException(name + " must not be negative, got " + value);
            }
            return v;
        }

        private static int parseInt(String name, String value) {
            try {
                return Integer.parseInt(value == null ? "" : value.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + " needs a whole number, got '" + value + "'");
            }
        }

        private static long parseLong(String name, String value) {
            try {
                return Long.parseLong(value.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + " needs a whole number, got '" + value + "'");
            }
        }
    }
}
