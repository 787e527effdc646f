import Foundation

/// Spec files loaded and checked together, with everything needed to report on them.
public struct SpecSet: Sendable {
  /// The parsed files, sorted by path; files with errors keep the rules that parsed.
  public var files: [SpecFile]
  /// All diagnostics: reading, lexical, syntax and semantic, in file and position order.
  public var diagnostics: [Diagnostic]
  /// The text of every file read, by path, for rendering snippets.
  public var sources: [String: String]

  public init(files: [SpecFile], diagnostics: [Diagnostic], sources: [String: String]) {
    self.files = files
    self.diagnostics = diagnostics
    self.sources = sources
  }

  /// Whether any diagnostic is an error.
  public var hasErrors: Bool { diagnostics.containsErrors }

  public var errorCount: Int { diagnostics.count { $0.severity == .error } }
  public var warningCount: Int { diagnostics.count { $0.severity == .warning } }

  /// All rules of all files, in file order.
  public var rules: [Rule] { files.flatMap(\.rules) }

  /// The rule with this id, and its file.
  public func rule(id: String) -> (rule: Rule, file: SpecFile)? {
    for file in files {
      if let rule = file.rules.first(where: { $0.id.value == id }) { return (rule, file) }
    }
    return nil
  }

  /// All diagnostics rendered, with source snippets.
  public func render(decorator: any DiagnosticDecorator = PlainDiagnosticDecorator()) -> String {
    DiagnosticRenderer(sources: sources, decorator: decorator).render(diagnostics)
  }

  /// All diagnostics rendered, plain or with ANSI colours.
  public func render(color: Bool) -> String {
    DiagnosticRenderer(sources: sources, color: color).render(diagnostics)
  }
}

/// Reads, parses and checks `.pfnspec` files.
public enum SpecLoader {
  /// Loads spec files and directories and checks them against a vocabulary.
  ///
  /// - Parameters:
  ///   - paths: Files, or directories whose `*.pfnspec` files (at any depth) are loaded.
  ///   - vocabulary: The names the engine understands.
  /// - Returns: The files and every diagnostic; an unreadable path is a diagnostic (E010).
  public static func load(paths: [String], vocabulary: Vocabulary) -> SpecSet {
    var diagnostics: [Diagnostic] = []
    var filePaths: [String] = []
    let fileManager = FileManager.default
    for path in paths {
      var isDirectory: ObjCBool = false
      guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory) else {
        diagnostics.append(
          Diagnostic(.noSuchPath(path), file: path, range: nil))
        continue
      }
      if isDirectory.boolValue {
        let found = specFiles(under: path)
        if found.isEmpty {
          diagnostics.append(
            Diagnostic(.noSpecFiles(in: path), file: path, range: nil))
        }
        filePaths += found
      } else {
        filePaths.append(path)
      }
    }

    var seen: Set<String> = []
    var files: [SpecFile] = []
    var sources: [String: String] = [:]
    for path in filePaths where seen.insert(path).inserted {
      guard let data = fileManager.contents(atPath: path) else {
        diagnostics.append(
          Diagnostic(.cannotRead(path), file: path, range: nil))
        continue
      }
      let (file, parseDiagnostics, text) = Parser.parseDecoding(bytes: [UInt8](data), path: path)
      sources[path] = text
      files.append(file)
      diagnostics += parseDiagnostics
    }
    diagnostics += Checker.check(files: files, vocabulary: vocabulary, syntaxDiagnostics: diagnostics)
    return SpecSet(files: files, diagnostics: ordered(diagnostics, files: files), sources: sources)
  }

  /// Parses and checks texts held in memory, keyed by path (for tests and tools).
  public static func load(sources: [(path: String, text: String)], vocabulary: Vocabulary) -> SpecSet {
    var diagnostics: [Diagnostic] = []
    var files: [SpecFile] = []
    var texts: [String: String] = [:]
    for (path, text) in sources {
      let (file, parseDiagnostics) = Parser.parse(source: text, path: path)
      files.append(file)
      texts[path] = text
      diagnostics += parseDiagnostics
    }
    diagnostics += Checker.check(files: files, vocabulary: vocabulary, syntaxDiagnostics: diagnostics)
    return SpecSet(files: files, diagnostics: ordered(diagnostics, files: files), sources: texts)
  }

  /// The `.pfnspec` files below a directory, sorted by path.
  private static func specFiles(under directory: String) -> [String] {
    guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
    let base = directory.hasSuffix("/") ? directory : directory + "/"
    var result: [String] = []
    while let relative = enumerator.nextObject() as? String {
      if relative.hasSuffix(".pfnspec") { result.append(base + relative) }
    }
    return result.sorted()
  }

  /// Diagnostics by file (in load order), then position; stable otherwise.
  private static func ordered(_ diagnostics: [Diagnostic], files: [SpecFile]) -> [Diagnostic] {
    var fileOrder: [String: Int] = [:]
    for (index, file) in files.enumerated() where fileOrder[file.path] == nil {
      fileOrder[file.path] = index
    }
    return diagnostics.enumerated().sorted { a, b in
      let fileA = fileOrder[a.element.file] ?? -1
      let fileB = fileOrder[b.element.file] ?? -1
      if fileA != fileB { return fileA < fileB }
      let offsetA = a.element.range?.start.offset ?? -1
      let offsetB = b.element.range?.start.offset ?? -1
      if offsetA != offsetB { return offsetA < offsetB }
      return a.offset < b.offset
    }.map(\.element)
  }
}

/// Reads the project's contract document.
public enum ContractDocument {
  /// The anchors of a contract document: lines `### C14 · Short title` give `"C14": "Short title"`.
  public static func anchors(markdown: String) -> [String: String] {
    var anchors: [String: String] = [:]
    // `\r\n` is one Character, so split on any newline rather than on "\n".
    for line in markdown.split(whereSeparator: \.isNewline) {
      guard line.hasPrefix("### ") else { continue }
      let heading = line.dropFirst(4)
      guard let separator = heading.range(of: " · ") else { continue }
      let id = heading[..<separator.lowerBound].trimmingCharacters(in: .whitespaces)
      let title = heading[separator.upperBound...].trimmingCharacters(in: .whitespaces)
      guard !id.isEmpty, !id.contains(" ") else { continue }
      anchors[id] = title
    }
    return anchors
  }
}

extension ContractDocument {
  /// One numbered clause of the contract document, with its text.
  public struct Clause: Sendable, Hashable {
    /// `C14`
    public var id: String
    /// `A successful start holds exactly one page-table lock`
    public var title: String
    /// The `## ` heading the clause stands under (`E. Lock held / released`).
    public var group: String
    /// The clause's text, from below its heading to the next heading, trimmed.
    public var body: String
  }

  /// The clauses of a contract document, in the order they are written.
  ///
  /// A clause is a `### ID · Title` heading and the lines after it, up to the
  /// next heading of any level.
  public static func clauses(markdown: String) -> [Clause] {
    var clauses: [Clause] = []
    var group = ""
    var current: Clause?
    var bodyLines: [Substring] = []
    func close() {
      guard var clause = current else { return }
      clause.body = bodyLines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
      clauses.append(clause)
      current = nil
      bodyLines = []
    }
    for line in markdown.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
      if line.hasPrefix("#") {
        close()
        if line.hasPrefix("## ") { group = line.dropFirst(3).trimmingCharacters(in: .whitespaces) }
        guard line.hasPrefix("### "), let separator = line.range(of: " · ") else { continue }
        let id = line[line.index(line.startIndex, offsetBy: 4)..<separator.lowerBound]
          .trimmingCharacters(in: .whitespaces)
        let title = line[separator.upperBound...].trimmingCharacters(in: .whitespaces)
        guard !id.isEmpty, !id.contains(" ") else { continue }
        current = Clause(id: id, title: title, group: group, body: "")
      } else if current != nil {
        bodyLines.append(line)
      }
    }
    close()
    return clauses
  }
}
