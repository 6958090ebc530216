/// Errors of the operator tools, worded for the person at the terminal.
package enum OperatorError: Error, Sendable, Equatable, CustomStringConvertible {
    case noSuchNetwork(String, known: [String])
    case ambiguousNetwork(String, matches: [String])
    case malformed(String)
    /// `gc --docker`: what answered on the Docker socket is not Docker's network list.
    case notDocker(String)

    package var description: String {
        switch self {
        case .noSuchNetwork(let wanted, let known):
            return "no swiftnet network has an id starting with or a bridge named '\(wanted)'"
                + (known.isEmpty ? " (there are none)" : "; networks: \(known.joined(separator: ", "))")
        case .ambiguousNetwork(let wanted, let matches):
            return "'\(wanted)' matches several networks (\(matches.joined(separator: ", "))); give more of the id"
        case .malformed(let what):
            return "unexpected answer from the server: \(what)"
        case .notDocker(let what):
            return "unexpected answer from the Docker API: \(what)"
        }
    }
}
