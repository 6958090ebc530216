/// The names an endpoint's links get: `host` stays in the host's namespace (a veth's host end;
/// a mode whose container link is the only one names it here too), `container` is the link
/// dockerd moves into the container at Join.
package struct EndpointLinkNames: Sendable, Equatable {
    package var host: String
    package var container: String

    package init(host: String, container: String) {
        self.host = host
        self.container = container
    }
}
