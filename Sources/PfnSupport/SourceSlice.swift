/// The text between two UTF-8 offsets of a source text, clamped to the text.
public func sourceSlice(_ source: String, from start: Int, to end: Int) -> String {
  let utf8 = Array(source.utf8)
  let lo = max(0, min(start, utf8.count))
  let hi = max(lo, min(end, utf8.count))
  return String(decoding: utf8[lo..<hi], as: UTF8.self)
}
