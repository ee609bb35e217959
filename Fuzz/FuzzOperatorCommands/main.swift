import FuzzHarness

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = start.map { Array(UnsafeRawBufferPointer(start: $0, count: count)) } ?? []
    let outcome = FuzzHarness.run(target: "FuzzOperatorCommands", bytes)
    if let outcome, !outcome.isAcceptable {
        fatalError("FuzzOperatorCommands: \(outcome)")
    }
    return 0
}
