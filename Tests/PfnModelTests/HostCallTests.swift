import PfnModel
import Testing

@Suite("HostCall")
struct HostCallTests {
  @Test("a name kept in parts reads as the one worded at once, and the calls are equal")
  func namesInParts() {
    let reads = [EntryPointer(address: 0x5008)]
    let hex = HostCall("caller: follow_pfnmap_start(", hex: 0x7f00_4000_5123, ")", reads: reads)
    let worded = HostCall("caller: follow_pfnmap_start(0x7f0040005123)", reads: reads)
    #expect(hex.name == worded.name)
    #expect(hex.description == "caller: follow_pfnmap_start(0x7f0040005123)")
    #expect(hex == worded && hex.hashValue == worded.hashValue)
    let decimal = HostCall("caller: spin_lock(caller lock #", decimal: 12, ")", reads: reads)
    #expect(decimal.name == "caller: spin_lock(caller lock #12)")
    #expect(decimal.reads == reads && decimal.writes.isEmpty && decimal.locks.isEmpty)
    // A footprint tells calls of one name apart.
    #expect(hex != HostCall("caller: follow_pfnmap_start(0x7f0040005123)", reads: []))
    var renamed = hex
    renamed.name = "other"
    #expect(renamed.name == "other" && renamed.reads == reads)
  }
}
