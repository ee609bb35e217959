import FuzzHarness

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = start.map { Array(UnsafeRawBufferPointer(start: $0, count: count)) } ?? []
    let outcome = FuzzHarness.run(target: "FuzzTimeZone", bytes)
    if let outcome, !outcome.isAcceptable {
        fatalError("FuzzTimeZone: \(outcome)")
    }
    return 0
}
