import Foundation

/// The processor time this process has used so far, in seconds (every thread).
/// Benches report rates per CPU-second: on a shared machine wall-clock time
/// also counts the other processes.
func processCPUSeconds() -> Double {
  var spec = timespec()
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
  return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

/// Why a bench's C anchor could not be built or run.
struct AnchorError: Error, CustomStringConvertible {
  var reason: String
  var description: String { reason }
}

/// Runs a tool to its end: its exit status and its standard output, trimmed
/// (standard error is dropped; the anchors only read figures from stdout).
func runTool(_ arguments: [String]) -> (status: Int32, output: String) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: arguments[0])
  process.arguments = Array(arguments.dropFirst())
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = FileHandle.nullDevice
  do { try process.run() } catch { return (-1, "\(error)") }
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
}

/// The physical limit `bench explore` compares itself with: the same shape of
/// schedule (a follow_pfnmap walk of a 4-level table to a PMD leaf, a
/// scheduling point before every shared access, one adversary step at one of
/// them, the content hash kept by XOR on each store, the stores undone
/// afterwards) written in plain C, compiled with `cc -O2` and timed here.
enum ExploreAnchor {
  struct Figures {
    var schedules: Int
    var cpuSeconds: Double
    var perSecond: Double { Double(schedules) / cpuSeconds }
  }

  /// Compiles and runs the C replay; `nil` (with the reason) when no C compiler works.
  static func measure(schedules: Int = 20_000_000) -> Result<Figures, AnchorError> {
    let folder = NSTemporaryDirectory() + "pfnspec-anchor-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: folder) }
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      try source.write(toFile: folder + "/anchor.c", atomically: true, encoding: .utf8)
    } catch {
      return .failure(AnchorError(reason: "cannot write the C replay: \(error)"))
    }
    let compiler = ProcessInfo.processInfo.environment["CC"] ?? "cc"
    guard runTool(["/usr/bin/env", compiler, "-O2", "-o", folder + "/anchor", folder + "/anchor.c"]).status == 0 else {
      return .failure(AnchorError(reason: "'\(compiler) -O2' could not build the C replay (set CC to a C compiler)"))
    }
    let (status, output) = runTool([folder + "/anchor", String(schedules)])
    let fields = output.split(separator: " ")
    guard status == 0, fields.count >= 2, let count = Int(fields[0]), let seconds = Double(fields[1]), seconds > 0 else {
      return .failure(AnchorError(reason: "the C replay did not report its figures (\(output))"))
    }
    return .success(Figures(schedules: count, cpuSeconds: seconds))
  }

  /// The C replay. Prints "SCHEDULES CPU-SECONDS CHECKSUM".
  static let source = #"""
    #include <stdint.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <time.h>

    enum { ENTRIES = 512, PRESENT = 1, PSE = 1 << 7 };
    static uint64_t tables[4][ENTRIES];            /* pgd, pud, pmd, pte */
    static uint32_t undo_place[64];
    static uint64_t undo_old[64];
    static int undo_count, point, target, held;
    static uint64_t content_hash;

    static uint64_t digest(uint64_t place, uint64_t value) {
      if (!value) return 0;
      uint64_t z = place * 0x9E3779B97F4A7C15ull ^ value;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      return z ^ (z >> 31);
    }

    static void store(int table, int index, uint64_t value) {
      uint64_t old = tables[table][index];
      uint64_t place = (uint64_t)(table + 1) << 12 | (uint64_t)index;
      content_hash ^= digest(place, old) ^ digest(place, value);
      undo_place[undo_count] = (uint32_t)(table * ENTRIES + index);
      undo_old[undo_count++] = old;
      tables[table][index] = value;
    }

    static int index_of(uint64_t address, int shift) { return (int)((address >> shift) & (ENTRIES - 1)); }

    /* A scheduling point: at the schedule's point, another CPU zaps the PMD
       leaf unless the walker holds its lock. */
    static void scheduling_point(uint64_t address) {
      if (point++ == target && !held) store(2, index_of(address, 21), 0);
    }

    static int walk(uint64_t address, uint64_t *pfn) {
      scheduling_point(address);
      uint64_t pgd = tables[0][index_of(address, 39)];
      if (!(pgd & PRESENT)) return -14;
      scheduling_point(address);
      uint64_t pud = tables[1][index_of(address, 30)];
      if (!(pud & PRESENT) || (pud & PSE)) return -14;
      scheduling_point(address);
      uint64_t pmd = tables[2][index_of(address, 21)];
      if (!(pmd & PRESENT) || !(pmd & PSE)) return -14;
      scheduling_point(address);           /* pmd_lock */
      held = 1;
      scheduling_point(address);           /* re-read under the lock */
      pmd = tables[2][index_of(address, 21)];
      if (!(pmd & PRESENT) || !(pmd & PSE)) { held = 0; return -14; }
      *pfn = ((pmd & 0x000FFFFFFFE00000ull) >> 12) + ((address >> 12) & 511);
      return 0;
    }

    int main(int argc, char **argv) {
      long schedules = argc > 1 ? atol(argv[1]) : 10000000;
      uint64_t address = 0x7f0040200000ull;
      tables[0][index_of(address, 39)] = (2ull << 12) | 0x67;
      tables[1][index_of(address, 30)] = (3ull << 12) | 0x67;
      tables[2][index_of(address, 21)] = (0x40000ull << 12) | PSE | 0x67;
      for (int t = 0; t < 4; t++)
        for (int i = 0; i < ENTRIES; i++) content_hash ^= digest((uint64_t)(t + 1) << 12 | (uint64_t)i, tables[t][i]);
      uint64_t saved_hash = content_hash, checksum = 0;
      struct timespec began, ended;
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &began);
      for (long s = 0; s < schedules; s++) {
        point = 0;
        target = (int)(s % 8);
        held = 0;
        uint64_t pfn = 0;
        int result = walk(address, &pfn);
        scheduling_point(address);         /* the caller uses the outputs */
        held = 0;                          /* end(): spin_unlock */
        checksum += content_hash ^ pfn ^ (uint64_t)result;
        while (undo_count) {               /* restore the checkpoint */
          undo_count--;
          tables[undo_place[undo_count] / ENTRIES][undo_place[undo_count] % ENTRIES] = undo_old[undo_count];
        }
        content_hash = saved_hash;
      }
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ended);
      double seconds = (double)(ended.tv_sec - began.tv_sec) + (double)(ended.tv_nsec - began.tv_nsec) / 1e9;
      printf("%ld %.6f %llu\n", schedules, seconds, (unsigned long long)checksum);
      return 0;
    }
    """#
}
