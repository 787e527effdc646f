import Foundation

/// The package root, from this file's path.
public let packageRoot: String = {
  var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast(3)  // Tests/PfnTestSupport/TestSupport.swift
  return parts.joined(separator: "/")
}()

/// The build's products folder: the test bundle sits beside `pfnspec`, the
/// example programs and the shared objects the package builds.
public let productsDirectory: String = {
  let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
  return executable.deletingLastPathComponent().path
}()

/// A shared object the package builds, by product name (`PfnExampleWalker`).
public func sharedObject(_ product: String) -> String { productsDirectory + "/lib\(product).so" }

/// The `pfnspec` executable of this build.
public let pfnspecExecutable = productsDirectory + "/pfnspec"

/// A fresh temporary folder, made with `mkdtemp`.
public func makeTemporaryDirectory(prefix: String = "pfnspec-tests") -> String {
  var template = Array((NSTemporaryDirectory() + prefix + "-XXXXXX").utf8CString)
  let result = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
  precondition(result != nil, "mkdtemp failed")
  return String(cString: template)
}

/// What a process did.
public struct CommandResult: Sendable {
  public var status: Int32
  public var output: String
  public var error: String
}

/// Runs an executable with arguments, from `directory` (default: the package root).
public func runProcess(
  _ executable: String, _ arguments: [String], in directory: String = packageRoot,
  environment extra: [String: String] = [:]
) throws -> CommandResult {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  process.currentDirectoryURL = URL(fileURLWithPath: directory)
  var environment = ProcessInfo.processInfo.environment
  environment["SWIFT_BACKTRACE"] = "enable=no"
  environment.merge(extra) { _, new in new }
  process.environment = environment
  let output = Pipe()
  process.standardOutput = output
  // Standard error goes to a file so that neither pipe can fill up and block the child.
  let errorDirectory = makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: errorDirectory) }
  let errorPath = errorDirectory + "/stderr"
  _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
  process.standardError = FileHandle(forWritingAtPath: errorPath)
  try process.run()
  let outputText = output.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  let errorText = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
  return CommandResult(
    status: process.terminationStatus, output: String(decoding: outputText, as: UTF8.self), error: errorText)
}

/// Compiles C source into a shared object against the package's headers, as
/// `cc -shared -fPIC $(pfnspec cflags)` does; the compiler's status and errors.
/// `strict` adds `-Wall -Wextra -Werror`.
public func compileSharedObject(
  _ source: String, named name: String = "plugin.c", flags: String = "", strict: Bool = false, into library: String
) throws -> (status: Int32, errors: String) {
  let directory = (library as NSString).deletingLastPathComponent
  let file = directory + "/" + name
  try source.write(toFile: file, atomically: true, encoding: .utf8)
  let errors = directory + "/cc.err"
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/bin/sh")
  process.arguments = [
    "-c",
    "/usr/bin/cc -std=gnu11 \(strict ? "-Wall -Wextra -Werror " : "")-shared -fPIC \(flags) "
      + "-I '\(packageRoot)/Sources/CPfnWalker/include' '\(file)' -o '\(library)' 2> '\(errors)'",
  ]
  try process.run()
  process.waitUntilExit()
  return (process.terminationStatus, (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")
}
