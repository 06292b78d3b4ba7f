package dev.evring.bench.pipes;

import java.util.ArrayList;
import java.util.List;

/**
 * One case of the pipes benchmark: N socketpairs, A active chains, with or without a timeout per pipe. Its id, the
 * token drivers print, is {@code <N>x<A>} with a trailing {@code t} for timeouts (the C drivers parse the same).
 */
public record PipesCase(int pipes, int active, boolean timeouts) {
    public PipesCase {
        if (pipes <= 0) throw new IllegalArgumentException("pipes " + pipes + " must be positive");
        if (active <= 0 || active > pipes) throw new IllegalArgumentException("active chains " + active + " must be in 1.." + pipes);
    }

    public String id() {
        return pipes + "x" + active + (timeouts ? "t" : "");
    }

    public String label() {
        return "N=" + pipes + " A=" + active + (timeouts ? " timeouts" : "");
    }

    public static PipesCase parse(String id) {
        String s = id.strip();
        boolean t = s.endsWith("t");
        if (t) s = s.substring(0, s.length() - 1);
        int x = s.indexOf('x');
        try {
            if (x <= 0) throw new NumberFormatException();
            return new PipesCase(Integer.parseInt(s.substring(0, x)), Integer.parseInt(s.substring(x + 1)), t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("pipes case \"" + id + "\" is not <N>x<A>[t]");
        }
    }

    public static List<PipesCase> parseList(String ids) {
        List<PipesCase> out = new ArrayList<>();
        for (String s : ids.split(",")) if (!s.isBlank()) out.add(parse(s));
        if (out.isEmpty()) throw new IllegalArgumentException("no pipes case in \"" + ids + "\"");
        return out;
    }
}
