import CLibXML2
import PfnReports
import PfnResults
import PfnTestSupport

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// MARK: - Verdicts

let lifetime = SuiteKey(suite: "lifetime", walker: "reference", arch: "x86_64")
let legacyLifetime = SuiteKey(suite: "lifetime", walker: "legacy", arch: "x86_64")
let lockingArm = SuiteKey(suite: "locking", walker: "reference", arch: "arm64")

/// A verdict whose message is `message` (a skip's reason, or a walker's error
/// text, shown as it is) and whose details list the lines of `details` as host calls.
func makeVerdict(
  _ key: SuiteKey, _ rule: String, _ outcome: Outcome,
  title: String = "a successful start() holds the lock",
  parameters: [CaseParameter] = [], message: String = "", details: String = "", replay: Replay? = nil,
  cause: VerdictCause? = nil, sources: [String] = ["contract#C14"], seconds: Double = 0.004, line: Int = 12
) -> Verdict {
  let textCause: VerdictCause? =
    message.isEmpty ? nil : outcome == .skipped ? .notApplicable(reason: message) : .walkerError(message: message)
  return Verdict(
    identity: CaseIdentity(
      key: key, ruleID: rule, ruleTitle: title, parameters: parameters,
      location: SpecLocation(file: "Specs/\(key.suite).pfnspec", line: line)),
    outcome: outcome, cause: cause ?? textCause,
    story: CaseStory(trace: details.isEmpty ? [] : details.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)),
    replay: replay, sources: sources, profile: "6.12/strict", seed: 42, seconds: seconds)
}

/// The replay of a case of `Specs/<suite>.pfnspec` on the built-in walker of `key`.
func makeReplay(_ key: SuiteKey, _ rule: String, caseName: String? = nil) -> Replay {
  Replay(
    spec: "Specs/\(key.suite).pfnspec", rule: rule, caseName: caseName ?? rule, walker: .builtin(key.walker),
    arch: key.arch, seed: 42)
}

func makeRunInfo(startTime: Double = 1_767_323_045, hostname: String = "ci-runner-7") -> RunInfo {
  RunInfo(
    toolVersion: "0.1.0", seed: 42, specPaths: ["Specs/lifetime.pfnspec"],
    walkers: ["reference", "legacy"], arches: ["x86_64", "arm64"],
    startTime: startTime, hostname: hostname)
}

/// Sends a run to `sink`: each group between `suiteStarted` and `suiteFinished`.
func feed(
  _ sink: any VerdictSink, _ groups: [(SuiteKey, [Verdict])], info: RunInfo = makeRunInfo(),
  seconds: Double = 1.5
) throws {
  sink.runStarted(info)
  var tally = Tally()
  for (key, verdicts) in groups {
    sink.suiteStarted(key)
    for verdict in verdicts {
      sink.record(verdict)
      tally.add(verdict.outcome)
    }
    sink.suiteFinished(key)
  }
  try sink.runFinished(tally, seconds: seconds)
}

/// Two suites with every outcome: 3 passes, 2 failures, 1 error, 2 skips.
let mixedRun: [(SuiteKey, [Verdict])] = [
  (
    lifetime,
    [
      makeVerdict(
        lifetime, "LT-001", .pass, parameters: [CaseParameter(name: "level", value: "pmd")]),
      makeVerdict(
        lifetime, "LT-001", .fail, parameters: [CaseParameter(name: "level", value: "pud")],
        message: "start() returned without holding the PTL",
        details: "expected: lock held\nobserved: lock released"),
      makeVerdict(
        lifetime, "LT-002", .error, title: "end() releases", message: "walker crashed (signal 11)"),
      makeVerdict(
        lifetime, "LT-003", .skipped, title: "huge pages", message: "no PUD leaves on this arch"),
    ]
  ),
  (
    lockingArm,
    [
      makeVerdict(lockingArm, "LK-001", .pass, title: "takes the PTL"),
      makeVerdict(lockingArm, "LK-002", .pass, title: "drops the PTL"),
      makeVerdict(lockingArm, "LK-003", .fail, title: "no write", message: "wrote an entry"),
      makeVerdict(lockingArm, "LK-004", .skipped, title: "pfnmap only", message: "not a pfnmap"),
    ]
  ),
]

// MARK: - Files

/// A fresh directory under the system's temporary directory.
func makeTemporaryDirectory() -> String { PfnTestSupport.makeTemporaryDirectory(prefix: "pfnreports-test") }

func removeDirectory(_ path: String) {
  for name in directoryEntries(path) { unlink("\(path)/\(name)") }
  rmdir(path)
}

func directoryEntries(_ path: String) -> [String] {
  guard let directory = opendir(path) else { return [] }
  defer { closedir(directory) }
  var names: [String] = []
  while let entry = readdir(directory) {
    let name = withUnsafeBytes(of: entry.pointee.d_name) {
      String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
    }
    if name != "." && name != ".." { names.append(name) }
  }
  return names.sorted()
}

func readBytes(_ path: String) -> [UInt8] {
  guard let file = fopen(path, "rb") else { return [] }
  defer { fclose(file) }
  var bytes: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: 65536)
  while true {
    let count = fread(&chunk, 1, chunk.count, file)
    if count == 0 { break }
    bytes += chunk[0..<count]
  }
  return bytes
}

func readText(_ path: String) -> String { String(decoding: readBytes(path), as: UTF8.self) }

/// Writes `groups` as a JUnit report in a fresh directory and returns its bytes.
func junitReport(
  _ groups: [(SuiteKey, [Verdict])], deterministic: Bool = false, info: RunInfo = makeRunInfo()
) throws -> [UInt8] {
  let directory = makeTemporaryDirectory()
  defer { removeDirectory(directory) }
  try feed(
    JUnitReporter(path: "\(directory)/report.xml", deterministic: deterministic), groups, info: info
  )
  return readBytes("\(directory)/report.xml")
}

// MARK: - libxml2

private let libxmlInitialized: Void = xmlInitParser()

/// Collects libxml2's structured errors.
final class XMLErrorLog {
  var messages: [String] = []
}

private func collectXMLError(_ context: UnsafeMutableRawPointer?, _ error: xmlErrorPtr?) {
  guard let context, let error else { return }
  let message = error.pointee.message.map { String(cString: $0) } ?? "?"
  Unmanaged<XMLErrorLog>.fromOpaque(context).takeUnretainedValue().messages.append(
    "line \(error.pointee.line): \(message.trimmingSuffixNewlines)")
}

extension String {
  fileprivate var trimmingSuffixNewlines: String {
    var text = Substring(self)
    while text.last == "\n" { text.removeLast() }
    return String(text)
  }
}

/// An element of a parsed document, copied out of libxml2's tree.
struct XMLElement {
  var name: String
  var attributes: [String: String]
  var children: [XMLElement]
  var text: String

  func elements(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }
  subscript(attribute: String) -> String? { attributes[attribute] }
}

/// Parses `bytes` with libxml2's default limits; `nil` plus errors if it is not well-formed.
func parseXML(_ bytes: [UInt8]) -> (root: XMLElement?, errors: [String]) {
  _ = libxmlInitialized
  let log = XMLErrorLog()
  let context = Unmanaged.passUnretained(log).toOpaque()
  xmlSetStructuredErrorFunc(context, collectXMLError)
  defer { xmlSetStructuredErrorFunc(nil, nil) }
  let options = Int32(
    XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
  let document = bytes.withUnsafeBufferPointer { buffer in
    buffer.withMemoryRebound(to: CChar.self) {
      xmlReadMemory($0.baseAddress, Int32($0.count), "report.xml", nil, options)
    }
  }
  guard let document else {
    return (nil, log.messages.isEmpty ? ["not well-formed"] : log.messages)
  }
  defer { xmlFreeDoc(document) }
  return (xmlDocGetRootElement(document).map(copyElement), log.messages)
}

private func copyElement(_ node: xmlNodePtr) -> XMLElement {
  var attributes: [String: String] = [:]
  var attribute = node.pointee.properties
  while let current = attribute {
    var value = ""
    var part = current.pointee.children
    while let text = part {
      if let content = text.pointee.content { value += String(cString: content) }
      part = text.pointee.next
    }
    attributes[String(cString: current.pointee.name)] = value
    attribute = current.pointee.next
  }
  var children: [XMLElement] = []
  var text = ""
  var child = node.pointee.children
  while let current = child {
    if current.pointee.type == XML_ELEMENT_NODE {
      children.append(copyElement(current))
    } else if current.pointee.type == XML_TEXT_NODE
      || current.pointee.type == XML_CDATA_SECTION_NODE,
      let content = current.pointee.content
    {
      text += String(cString: content)
    }
    child = current.pointee.next
  }
  return XMLElement(
    name: String(cString: node.pointee.name), attributes: attributes, children: children, text: text
  )
}

/// Validates `bytes` against `schema`; an empty list means valid.
func schemaErrors(_ bytes: [UInt8], schema: String = JUnit10Schema.text) -> [String] {
  _ = libxmlInitialized
  let log = XMLErrorLog()
  let context = Unmanaged.passUnretained(log).toOpaque()
  guard let parserContext = schema.withCString({ xmlSchemaNewMemParserCtxt($0, Int32(strlen($0))) })
  else {
    return ["cannot create a schema parser"]
  }
  defer { xmlSchemaFreeParserCtxt(parserContext) }
  xmlSchemaSetParserStructuredErrors(parserContext, collectXMLError, context)
  guard let parsedSchema = xmlSchemaParse(parserContext) else { return ["schema: "] + log.messages }
  defer { xmlSchemaFree(parsedSchema) }

  xmlSetStructuredErrorFunc(context, collectXMLError)
  defer { xmlSetStructuredErrorFunc(nil, nil) }
  let options = Int32(
    XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
  let document = bytes.withUnsafeBufferPointer { buffer in
    buffer.withMemoryRebound(to: CChar.self) {
      xmlReadMemory($0.baseAddress, Int32($0.count), "report.xml", nil, options)
    }
  }
  guard let document else { return ["not well-formed"] + log.messages }
  defer { xmlFreeDoc(document) }
  guard let validator = xmlSchemaNewValidCtxt(parsedSchema) else {
    return ["cannot create a validator"]
  }
  defer { xmlSchemaFreeValidCtxt(validator) }
  xmlSchemaSetValidStructuredErrors(validator, collectXMLError, context)
  let result = xmlSchemaValidateDoc(validator, document)
  if result != 0 && log.messages.isEmpty { return ["validation returned \(result)"] }
  return log.messages
}

// MARK: - Processes

/// Runs `arguments` (found on PATH) and returns its exit status and output.
func runProcess(_ arguments: [String]) -> (status: Int32, output: String) {
  var pipeEnds: [Int32] = [0, 0]
  guard pipe(&pipeEnds) == 0 else { return (-1, "pipe failed") }
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
  posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 2)
  posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
  let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
  defer { for argument in argv { free(argument) } }
  var pid = pid_t()
  let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, argv, environ)
  close(pipeEnds[1])
  defer { close(pipeEnds[0]) }
  guard spawned == 0 else { return (-1, "cannot start \(arguments[0])") }
  var output: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: 4096)
  while true {
    let count = read(pipeEnds[0], &chunk, chunk.count)
    if count < 0, errno == EINTR { continue }
    if count <= 0 { break }
    output += chunk[0..<count]
  }
  var status: Int32 = 0
  while waitpid(pid, &status, 0) < 0, errno == EINTR {}
  let exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
  return (exitStatus, String(decoding: output, as: UTF8.self))
}

/// The package root, found from this file's path.
let packageRoot: String = {
  var path = #filePath
  for _ in 0..<3 { path = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) }
  return path
}()
