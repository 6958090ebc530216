import SwiftnetIPAM
import SwiftnetKernel

/// The kernel's route reader is where the IPAM learns the host's routes: the allocator asks a
/// `HostRouteSource` and knows nothing of netlink, the kernel module nothing of the allocator.
extension RouteReader: HostRouteSource {}
