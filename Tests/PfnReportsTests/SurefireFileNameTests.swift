import PfnResults
import PfnTestSupport
import Testing

@testable import PfnReports

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

@Suite("Surefire file names")
struct SurefireFileNameTests {
  /// What Windows, archives and artifact uploaders refuse in a file name.
  static let refused = Set("<>:\"/\\|?* \t\n\r")

  @Test("letters, digits, '.', '-' and '_' stay; every other character becomes '_'")
  func mapping() {
    #expect(SurefireDirectoryWriter.fileNameStem("lifetime.reference.x86_64") == "lifetime.reference.x86_64")
    #expect(
      SurefireDirectoryWriter.fileNameStem("races.mutant:stale-huge-entry.x86_64")
        == "races.mutant_stale-huge-entry.x86_64")
    #expect(SurefireDirectoryWriter.fileNameStem("a/b\\c d\"e<f>g|h?i*j") == "a_b_c_d_e_f_g_h_i_j")
    #expect(SurefireDirectoryWriter.fileNameStem("walker-é.arm64") == "walker-_.arm64")
  }

  @Test("a long name is cut, and ends in a hash of the whole name so that neighbours stay apart")
  func longNames() {
    let first = SurefireDirectoryWriter.fileNameStem(String(repeating: "w", count: 300) + ".x86_64")
    let second = SurefireDirectoryWriter.fileNameStem(String(repeating: "w", count: 300) + ".arm64")
    #expect(first.utf8.count == SurefireDirectoryWriter.maximumStemLength)
    #expect(second.utf8.count == SurefireDirectoryWriter.maximumStemLength)
    #expect(first != second)
    #expect(first.hasPrefix(String(repeating: "w", count: 100)))
  }

  @Test("a run's files are named by the mapping, apart when two names map alike, and keep the suite's name inside")
  func writtenFiles() throws {
    let directory = makeTemporaryDirectory()
    defer { removeTree(directory) }
    let mutant = SuiteKey(suite: "races", walker: "mutant:stale-huge-entry", arch: "x86_64")
    let lookalike = SuiteKey(suite: "races", walker: "mutant_stale-huge-entry", arch: "x86_64")
    let odd = SuiteKey(suite: "lifetime", walker: "my walker <\"v2\">|?*", arch: "arm64")
    let groups = [mutant, lookalike, odd].map { ($0, [makeVerdict($0, "RC-001", .pass)]) }
    let reporter = try junitFiles(groups, options: JUnitOptions(dialect: .surefire), in: directory, name: "surefire")
    let names = directoryEntries("\(directory)/surefire")
    #expect(
      names.sorted() == [
        "TEST-lifetime.my_walker___v2_____.arm64.xml", "TEST-races.mutant_stale-huge-entry.x86_64-2.xml",
        "TEST-races.mutant_stale-huge-entry.x86_64.xml",
      ])
    #expect(reporter.writtenFiles.count == 3)
    for name in names {
      #expect(!name.contains(where: Self.refused.contains), "\(name)")
    }
    let root = try #require(parseXML(readBytes("\(directory)/surefire/TEST-races.mutant_stale-huge-entry.x86_64.xml")).root)
    #expect(root["name"] == "races.mutant:stale-huge-entry.x86_64")
  }
}
