import Foundation

/// What `bench report` compares the JUnit reporter with: a plain C program
/// that writes the same elements (`<testsuites>`, each `<testsuite>` with its
/// properties, each `<testcase>` with its failure, error or skip and its
/// body) for the same synthetic cases with libxml2's xmlTextWriter, one call
/// per element and attribute, straight into the file (it knows the totals
/// beforehand, so it needs no spool). Compiled with `cc -O2` and
/// `pkg-config libxml-2.0` in the same run, and timed in CPU seconds.
enum JUnitWriterAnchor {
  struct Figures {
    var cases: Int
    var cpuSeconds: Double
    var bytes: Int
    var perSecond: Double { Double(cases) / max(cpuSeconds, 1e-9) }
  }

  /// A compiled writer in a scratch folder.
  struct Program {
    var path: String
    /// `pkg-config --modversion libxml-2.0`.
    var libxml2Version: String
  }

  /// Compiles the C writer in `folder`.
  static func build(in folder: String) -> Result<Program, AnchorError> {
    let sourcePath = folder + "/junit-writer.c"
    let binaryPath = folder + "/junit-writer"
    do { try source.write(toFile: sourcePath, atomically: true, encoding: .utf8) } catch {
      return .failure(AnchorError(reason: "cannot write the C writer: \(error)"))
    }
    let flags = runTool(["/usr/bin/env", "pkg-config", "--cflags", "--libs", "libxml-2.0"])
    guard flags.status == 0 else {
      return .failure(AnchorError(reason: "pkg-config found no libxml-2.0 (install libxml2-dev and pkg-config)"))
    }
    let compiler = ProcessInfo.processInfo.environment["CC"] ?? "cc"
    let words = flags.output.split(whereSeparator: \.isWhitespace).map(String.init)
    let compiled = runTool(["/usr/bin/env", compiler, "-O2", "-o", binaryPath, sourcePath] + words)
    guard compiled.status == 0 else {
      return .failure(AnchorError(reason: "'\(compiler) -O2' could not build the C writer (set CC to a C compiler)"))
    }
    let version = runTool(["/usr/bin/env", "pkg-config", "--modversion", "libxml-2.0"]).output
    return .success(Program(path: binaryPath, libxml2Version: version))
  }

  /// Runs the writer for `cases` cases into `output`; with `inputsOnly`,
  /// only its making of each case's values (what the bench's generator
  /// makes for pfnspec), so that both sides can be compared less their inputs.
  static func measure(
    _ program: Program, cases: Int, output: String, version: String, inputsOnly: Bool = false
  ) -> Result<Figures, AnchorError> {
    let (status, text) = runTool([program.path, String(cases), output, version] + (inputsOnly ? ["inputs"] : []))
    let fields = text.split(separator: " ")
    guard status == 0, fields.count >= 2, let count = Int(fields[0]), let seconds = Double(fields[1]) else {
      return .failure(AnchorError(reason: "the C writer did not report its figures (\(text))"))
    }
    let bytes = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
    return .success(Figures(cases: count, cpuSeconds: seconds, bytes: bytes))
  }

  /// The C writer: `junit-writer CASES PATH VERSION [inputs]` prints "CASES CPU-SECONDS".
  /// Its cases are `bench report`'s synthetic verdicts, worded the same way.
  static let source = #"""
    #include <fcntl.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include <time.h>
    #include <unistd.h>
    #include <libxml/xmlwriter.h>

    enum { PER_SUITE = 1000, PASS, FAIL, SKIP, ERROR };
    static const char *levels[] = { "pte", "pmd", "pud" };

    static int outcome(long long index) {
      long long roll = (index * 2654435761LL) % 100;
      return roll < 90 ? PASS : roll < 95 ? FAIL : roll < 98 ? SKIP : ERROR;
    }

    static void check(int rc) { if (rc < 0) { fprintf(stderr, "libxml2 failed\n"); exit(1); } }
    #define X(s) ((const xmlChar *)(s))

    int main(int argc, char **argv) {
      long long cases = argc > 1 ? atoll(argv[1]) : 100000;
      const char *path = argc > 2 ? argv[2] : "junit-c.xml";
      const char *version = argc > 3 ? argv[3] : "0";
      struct timespec began, ended;
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &began);
      if (argc > 4 && strcmp(argv[4], "inputs") == 0) {
        /* Only what bench report's generator makes for each case (the per-case
           values a verdict holds: the address, a failure's host calls), no XML. */
        static char addr[32], trace[12][64];
        unsigned long long made = 0;
        for (long long i = 0; i < cases; i++) {
          int o = outcome(i);
          made += snprintf(addr, sizeof addr, "0x7f00%llx", i);
          if (o == FAIL || o == ERROR)
            for (int k = 0; k < 12; k++)
              made += snprintf(trace[k], sizeof trace[k], "host call %d: read pmd entry 0x%llx", k, i * 31 + k);
        }
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ended);
        double seconds = (double)(ended.tv_sec - began.tv_sec) + (double)(ended.tv_nsec - began.tv_nsec) / 1e9;
        printf("%lld %.6f %llu\n", cases, seconds, made);
        return 0;
      }
      xmlInitParser();
      long long failed = 0, errors = 0;
      for (long long i = 0; i < cases; i++) {
        int o = outcome(i);
        failed += o == FAIL;
        errors += o == ERROR;
      }
      int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0) return 1;
      xmlOutputBufferPtr out = xmlOutputBufferCreateFd(fd, NULL);
      xmlTextWriterPtr w = xmlNewTextWriter(out);
      check(xmlTextWriterSetIndent(w, 1));
      check(xmlTextWriterSetIndentString(w, X("  ")));
      check(xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL));
      check(xmlTextWriterStartElement(w, X("testsuites")));
      check(xmlTextWriterWriteAttribute(w, X("name"), X("pfnspec")));
      check(xmlTextWriterWriteFormatAttribute(w, X("tests"), "%lld", cases));
      check(xmlTextWriterWriteFormatAttribute(w, X("failures"), "%lld", failed));
      check(xmlTextWriterWriteFormatAttribute(w, X("errors"), "%lld", errors));
      check(xmlTextWriterWriteAttribute(w, X("time"), X("0.000")));
      static char name[512], text[8192], line[256], replay[512], key[128], classname[256], suite[64], walker[64];
      long long index = 0;
      for (int s = 0; index < cases; s++) {
        const char *arch = s % 8 < 4 ? "x86_64" : "arm64";
        snprintf(suite, sizeof suite, "suite%d", s / 8);
        snprintf(walker, sizeof walker, "walker%d", s % 4);
        snprintf(classname, sizeof classname, "pfnspec.%s.%s.%s", arch, walker, suite);
        long long n = cases - index < PER_SUITE ? cases - index : PER_SUITE;
        long long sf = 0, se = 0, ss = 0;
        for (long long i = 0; i < n; i++) {
          int o = outcome(index + i);
          sf += o == FAIL; se += o == ERROR; ss += o == SKIP;
        }
        check(xmlTextWriterStartElement(w, X("testsuite")));
        snprintf(key, sizeof key, "%s.%s.%s", suite, walker, arch);
        check(xmlTextWriterWriteAttribute(w, X("name"), X(key)));
        check(xmlTextWriterWriteFormatAttribute(w, X("tests"), "%lld", n));
        check(xmlTextWriterWriteFormatAttribute(w, X("failures"), "%lld", sf));
        check(xmlTextWriterWriteFormatAttribute(w, X("errors"), "%lld", se));
        check(xmlTextWriterWriteFormatAttribute(w, X("skipped"), "%lld", ss));
        check(xmlTextWriterWriteFormatAttribute(w, X("time"), "%.3f", (double)n * 0.0001));
        check(xmlTextWriterWriteAttribute(w, X("timestamp"), X("1970-01-01T00:00:00")));
        check(xmlTextWriterWriteAttribute(w, X("hostname"), X("localhost")));
        check(xmlTextWriterWriteFormatAttribute(w, X("id"), "%d", s));
        check(xmlTextWriterWriteAttribute(w, X("package"), X("pfnspec")));
        check(xmlTextWriterStartElement(w, X("properties")));
        const char *general[][2] = {
          { "pfnspec.suite", suite }, { "pfnspec.walker", walker }, { "pfnspec.arch", arch },
          { "pfnspec.version", version }, { "pfnspec.seed", "7" }, { "pfnspec.profile", "6.12/strict" },
          { "pfnspec.specs", "Specs/bench.pfnspec" },
        };
        for (int p = 0; p < 7; p++) {
          check(xmlTextWriterStartElement(w, X("property")));
          check(xmlTextWriterWriteAttribute(w, X("name"), X(general[p][0])));
          check(xmlTextWriterWriteAttribute(w, X("value"), X(general[p][1])));
          check(xmlTextWriterEndElement(w));
        }
        for (int r = 0; r < 20 && r < n; r++) {
          char property[64];
          snprintf(property, sizeof property, "rule.BN-%d.title", 100 + r);
          snprintf(text, sizeof text, "synthetic rule %d keeps its promise", r);
          check(xmlTextWriterStartElement(w, X("property")));
          check(xmlTextWriterWriteAttribute(w, X("name"), X(property)));
          check(xmlTextWriterWriteAttribute(w, X("value"), X(text)));
          check(xmlTextWriterEndElement(w));
          size_t used = 0;
          for (int p = r; p < n && p < r + 20 * 33; p += 20)
            used += snprintf(text + used, sizeof text - used, "%scontract#C%d", used ? "; " : "", p % 33 + 1);
          snprintf(property, sizeof property, "rule.BN-%d.sources", 100 + r);
          check(xmlTextWriterStartElement(w, X("property")));
          check(xmlTextWriterWriteAttribute(w, X("name"), X(property)));
          check(xmlTextWriterWriteAttribute(w, X("value"), X(text)));
          check(xmlTextWriterEndElement(w));
          snprintf(property, sizeof property, "rule.BN-%d.location", 100 + r);
          snprintf(text, sizeof text, "Specs/bench.pfnspec:%d", 10 + r * 8);
          check(xmlTextWriterStartElement(w, X("property")));
          check(xmlTextWriterWriteAttribute(w, X("name"), X(property)));
          check(xmlTextWriterWriteAttribute(w, X("value"), X(text)));
          check(xmlTextWriterEndElement(w));
        }
        check(xmlTextWriterEndElement(w));
        for (long long p = 0; p < n; p++, index++) {
          int rule = (int)(p % 20), o = outcome(index);
          snprintf(name, sizeof name, "BN-%d[level=%s,addr=0x7f00%llx] synthetic rule %d keeps its promise",
                   100 + rule, levels[p % 3], index, rule);
          check(xmlTextWriterStartElement(w, X("testcase")));
          check(xmlTextWriterWriteAttribute(w, X("name"), X(name)));
          check(xmlTextWriterWriteAttribute(w, X("classname"), X(classname)));
          check(xmlTextWriterWriteAttribute(w, X("time"), X("0.000")));
          if (o != PASS) {
            const char *message = o == FAIL ? "expected pfn == 0x200123, got 0x200000"
              : o == ERROR ? "the rule's world cannot be built: the world could not be built"
              : "no PUD leaves on this architecture";
            size_t used = snprintf(text, sizeof text, "%s\n\n", message);
            if (o != SKIP) {
              if (o == FAIL)
                used += snprintf(text + used, sizeof text - used,
                                 "Failed:\n  Specs/bench.pfnspec:12:3: expect pfn == 0x200123\n    %s\n", message);
              else
                used += snprintf(text + used, sizeof text - used, "Error: %s\n", message);
              used += snprintf(text + used, sizeof text - used, "Host calls and other CPUs, in order:\n");
              for (int k = 0; k < 12; k++)
                used += snprintf(text + used, sizeof text - used, "  host call %d: read pmd entry 0x%llx\n", k,
                                 index * 31 + k);
              snprintf(replay, sizeof replay, "Replay: pfnspec run Specs/bench.pfnspec --rule BN-%d --case '%.*s' "
                       "--walker %s --arch %s --seed 7", 100 + rule, (int)(strchr(name, ' ') - name), name, walker, arch);
              used += snprintf(text + used, sizeof text - used, "%s\n\n", replay);
            }
            snprintf(line, sizeof line, "sources: contract#C%d\nrule at Specs/bench.pfnspec:%d", (int)(p % 33) + 1,
                     10 + rule * 8);
            snprintf(text + used, sizeof text - used, "%s", line);
            check(xmlTextWriterStartElement(w, X(o == FAIL ? "failure" : o == ERROR ? "error" : "skipped")));
            check(xmlTextWriterWriteAttribute(w, X("message"), X(message)));
            if (o != SKIP) check(xmlTextWriterWriteAttribute(w, X("type"), X(o == FAIL ? "ContractViolation" : "CaseError")));
            check(xmlTextWriterWriteString(w, X(text)));
            check(xmlTextWriterEndElement(w));
          }
          check(xmlTextWriterEndElement(w));
        }
        check(xmlTextWriterEndElement(w));
      }
      check(xmlTextWriterEndElement(w));
      check(xmlTextWriterEndDocument(w));
      xmlFreeTextWriter(w);
      close(fd);
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ended);
      double seconds = (double)(ended.tv_sec - began.tv_sec) + (double)(ended.tv_nsec - began.tv_nsec) / 1e9;
      printf("%lld %.6f\n", cases, seconds);
      return 0;
    }
    """#
}
