import Foundation

/// libFuzzer target: the rule language (lexer, parser, checker, lint,
/// renderer) on arbitrary bytes, as `pfnspec check` reads a file.
///
/// Built by `Tests/Fuzz/run` with the sources of `PfnSpecLanguage` in one
/// module. Besides crashes and hangs it stops on an answer that is not
/// bounded: more than the renderer's cap of diagnostics shown, or rendered
/// text far larger than the input warrants.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSpecs(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  let path = "fuzz.pfnspec"
  let (file, parsed) = Parser.parse(bytes: bytes, path: path)
  let diagnostics = parsed + Checker.check(files: [file], vocabulary: fuzzVocabulary, syntaxDiagnostics: parsed)
  let text = DiagnosticRenderer(sources: [path: String(decoding: bytes, as: UTF8.self)]).render(diagnostics)
  if text.utf8.count > 256 * 1024 {
    fatalError("\(text.utf8.count) bytes of diagnostics for \(size) bytes of input")
  }
  for character in text.unicodeScalars where character.value < 0x20 && character != "\n" && character != "\t" {
    fatalError("a raw control character U+\(String(character.value, radix: 16)) in the diagnostics")
  }
  return 0
}

/// A vocabulary shaped like the engine's: subjects, calls, functions, names
/// of every type, a start()/end() pairing and known strings, so that every
/// check and every lint has something to bite on.
let fuzzVocabulary: Vocabulary = {
  typealias T = Vocabulary.ValueType
  let outputs: [String: T] = ["pfn": .integer, "pgprot": .integer, "writable": .boolean, "special": .boolean, "addr_mask": .integer]
  func name(_ type: T, _ contexts: Vocabulary.Context, members: [String: T] = [:], needsCall: Bool = false) -> Vocabulary.Name {
    Vocabulary.Name(type: type, contexts: contexts, members: members, needsCall: needsCall, summary: "")
  }
  var names: [String: Vocabulary.Name] = [
    "result": name(.integer, .expect, needsCall: true),
    "held": name(.locks, .expect, needsCall: true),
    "mapped": name(.integer, .expect, needsCall: true),
    "outputs": name(.record("outputs"), .expect, members: outputs, needsCall: true),
    "expected": name(.record("outputs"), .expect, members: outputs, needsCall: true),
    "previous": name(.record("outputs"), .expect, members: outputs, needsCall: true),
    "none": name(.locks, .all), "pte": name(.level, .all), "pmd": name(.level, .all), "pud": name(.level, .all),
    "IO": name(.vmaFlags, .all), "PFNMAP": name(.vmaFlags, .all), "EINVAL": name(.integer, .all),
    "leaf_levels": name(.list(.level), .all), "huge_levels": name(.list(.level), .all),
    "swap": name(.entryState, .given), "mmap_read": name(.callerLock, .given),
    "api": name(.version, .all), "kernel": name(.version, .all), "arch": name(.string, .all),
    "profile": name(.string, .all), "strict": name(.string, .all), "pmd_pfnmap": name(.boolean, .all),
    "page_size": name(.integer, .all), "page_shift": name(.integer, .all),
    "leaf": name(.record("leaf"), .world, members: ["start": .integer, "end": .integer, "size": .integer, "pfn": .integer]),
    "vma": name(.record("vma"), .world, members: ["start": .integer, "end": .integer]),
    "lockdep_warned": name(.boolean, .expect, needsCall: true),
  ]
  for (field, type) in outputs { names[field] = name(type, .expect, needsCall: true) }
  var vocabulary = Vocabulary(
    subjects: [
      "vma": .init(attributes: ["flags": .vmaFlags, "file": .boolean, "size": .integer], required: ["flags"], summary: ""),
      "leaf": .init(
        attributes: ["at": .level, "pfn": .integer, "writable": .boolean, "special": .boolean, "covering": .integer],
        required: ["at"], repeatable: true, summary: ""),
      "entry": .init(attributes: ["at": .level, "is": .entryState], required: ["at", "is"], repeatable: true, summary: ""),
      "race": .init(attributes: ["ops": .list(.string), "bound": .integer], required: ["ops"], summary: ""),
    ],
    calls: [
      "start": .init(parameters: [.integer], result: .integer, contexts: .call, summary: ""),
      "end": .init(parameters: [], result: .integer, contexts: .call, summary: ""),
      "caller": .init(parameters: [.integer], result: .integer, contexts: .call, summary: ""),
    ],
    functions: [
      "lock_of": .init(parameters: [.level], result: .locks, contexts: .world, summary: ""),
      "size_of": .init(parameters: [.level], result: .integer, contexts: .all, summary: ""),
      "random": .init(parameters: [.integer, .integer, .integer], result: .list(.integer), contexts: .domain, summary: ""),
      "pages": .init(parameters: [.integer, .integer], result: .list(.integer), contexts: .domain, summary: ""),
    ],
    names: names,
    contractAnchors: Set((1...40).map { "C\($0)" }),
    gates: ["addr_mask": .init(name: "api", major: 6, minor: 15)])
  vocabulary.pairing = Vocabulary.Pairing(
    open: "start", close: "end", status: "result", invalidAfterClose: Set(outputs.keys).union(["outputs"]),
    invalidAfterCloseSource: "contract#C10", closeSource: "contract#C15")
  vocabulary.stringValues = ["arch": ["x86_64", "arm64-4k-48"], "profile": ["strict", "relaxed"]]
  return vocabulary
}()
