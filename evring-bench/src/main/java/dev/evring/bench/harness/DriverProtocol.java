package dev.evring.bench.harness;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The lines a benchmark driver (a C program or a Java main started by the harness) prints on stdout, one event a line:
 * <pre>
 *   info  free text about the implementation (version, backend)    -> kept in the row's log
 *   result CASE key=value [key=value ...]                          -> one repeat's figures
 *   skip  CASE reason...                                            -> the case cannot run here
 *   fail  CASE reason...                                            -> the case ran and went wrong
 *   done  CASE                                                      -> every repeat of CASE is in
 * </pre>
 * Any other line is kept in the log only. CASE is one token. Values are plain decimals.
 */
public final class DriverProtocol {
    private DriverProtocol() {}

    public enum Kind { INFO, RESULT, SKIP, FAIL, DONE, OTHER }

    /** One parsed line; {@code values} only for RESULT, {@code text} for INFO, SKIP, FAIL and OTHER. */
    public record Line(Kind kind, String caseId, Map<String, Double> values, String text) {}

    public static Line parse(String line) {
        String s = line.strip();
        int sp = s.indexOf(' ');
        String word = sp < 0 ? s : s.substring(0, sp);
        String rest = sp < 0 ? "" : s.substring(sp + 1).strip();
        switch (word) {
            case "info":
                return new Line(Kind.INFO, null, Map.of(), rest);
            case "result": {
                String[] tok = rest.split("\\s+");
                if (tok.length < 2 || tok[0].isEmpty()) return other(line);
                Map<String, Double> values = new LinkedHashMap<>();
                for (int i = 1; i < tok.length; i++) {
                    int eq = tok[i].indexOf('=');
                    if (eq <= 0) return other(line);
                    try {
                        values.put(tok[i].substring(0, eq), Double.parseDouble(tok[i].substring(eq + 1)));
                    } catch (NumberFormatException e) {
                        return other(line);
                    }
                }
                return new Line(Kind.RESULT, tok[0], values, "");
            }
            case "skip", "fail", "done": {
                if (rest.isEmpty()) return other(line);
                int sp2 = rest.indexOf(' ');
                String c = sp2 < 0 ? rest : rest.substring(0, sp2);
                String text = sp2 < 0 ? "" : rest.substring(sp2 + 1).strip();
                Kind k = word.equals("skip") ? Kind.SKIP : word.equals("fail") ? Kind.FAIL : Kind.DONE;
                return new Line(k, c, Map.of(), text);
            }
            default:
                return other(line);
        }
    }

    private static Line other(String line) {
        return new Line(Kind.OTHER, null, Map.of(), line);
    }
}
