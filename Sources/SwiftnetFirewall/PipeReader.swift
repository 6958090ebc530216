import Foundation

/// Drains one pipe on its own thread until end of file. stdout and stderr are read at the
/// same time as stdin is written: a tool that fills one pipe while we wait on another would
/// otherwise stall both processes (iptables-save of a large Docker host is well over the
/// 64 KiB a pipe holds).
final class PipeReader: @unchecked Sendable {
    // Written once by the reading thread before `done` is signalled, read after waiting on it.
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = (try? handle.readToEnd()) ?? Data()
            done.signal()
        }
    }

    /// Blocks until the writer closed its end (the process exited), then returns all bytes.
    func wait() -> Data {
        done.wait()
        return data
    }
}
