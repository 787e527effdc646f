#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// A shared object opened for its exports: what walker and caller plug-ins
/// share before they read their own ABI.
struct PluginLibrary {
  let path: String
  let handle: UnsafeMutableRawPointer
  /// What a missing export probably means (`is it a pfnspec walker? ...`).
  let missingExportHint: String

  /// - Parameter kind: `walker` or `caller`, for the load error.
  init(path: String, kind: String, missingExportHint: String) throws {
    guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
      let reason = dlerror().map { String(cString: $0) } ?? "unknown reason"
      throw PluginError("cannot load \(kind) plug-in '\(path)': \(reason)")
    }
    self.path = path
    self.handle = handle
    self.missingExportHint = missingExportHint
  }

  /// An exported function, or a clear error that names it.
  func symbol(_ name: String) throws -> UnsafeMutableRawPointer {
    guard let symbol = dlsym(handle, name) else {
      throw PluginError("'\(path)' does not export \(name)(): \(missingExportHint)")
    }
    return symbol
  }
}
