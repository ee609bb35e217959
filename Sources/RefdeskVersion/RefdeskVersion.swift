/// refdesk's release version, the one source of it: `--version` of every executable, the first log line of
/// every daemon, `refdesk_build_info` in `/metrics`, the man pages and the Debian package (`make deb` reads it
/// from this file) all show this string. Raise it with every release; a package upgrade compares it.
public enum RefdeskVersion {
    public static let number = "0.1.0"
}
