import Foundation
import Logging
import Postgres

/// The operating-system account the local server runs as.
///
/// PostgreSQL refuses to run as root, so when tripbench runs as root the server runs as `postgres` (if that
/// user exists), as `TRIPBENCH_PG_USER`, or as a system user `tripbench` created for the purpose; its
/// commands go through `runuser`. Otherwise it runs as the invoking user.
struct ServiceAccount {
    let name: String
    let uid: uid_t
    let gid: gid_t
    /// True when commands must switch to ``name`` (tripbench is root).
    let switchesUser: Bool

    var runner: CommandRunner { CommandRunner(user: self.switchesUser ? self.name : nil) }

    static func resolve(environment: [String: String], logger: Logger) throws -> ServiceAccount {
        guard geteuid() == 0 else {
            let entry = getpwuid(geteuid())
            let name = entry.map { String(cString: $0.pointee.pw_name) } ?? String(geteuid())
            return ServiceAccount(name: name, uid: geteuid(), gid: getegid(), switchesUser: false)
        }
        let requested = environment["TRIPBENCH_PG_USER"].flatMap { $0.isEmpty ? nil : $0 }
        for name in [requested, "postgres", "tripbench"].compactMap({ $0 }) {
            if let account = self.lookup(name) { return account }
            if name == requested {
                throw LocalServerError(.configuration, "TRIPBENCH_PG_USER=\(name) is not a user on this machine")
            }
        }
        logger.info("creating system user tripbench to run PostgreSQL (it refuses to run as root)")
        let output = try CommandRunner().run(
            "/usr/sbin/useradd",
            ["--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", "tripbench"]
        )
        guard output.succeeded, let account = self.lookup("tripbench") else {
            throw LocalServerError(.configuration, "cannot create a system user to run PostgreSQL: \(output.text.singleLine); create one and set TRIPBENCH_PG_USER")
        }
        return account
    }

    private static func lookup(_ name: String) -> ServiceAccount? {
        guard let entry = getpwnam(name) else { return nil }
        return ServiceAccount(name: name, uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid, switchesUser: true)
    }

    /// Creates `directory` if needed, with `mode`, owned by this account. An existing directory that holds
    /// files and belongs to someone else is refused, never taken over.
    func prepareDirectory(_ directory: URL, mode: Int) throws {
        let manager = FileManager.default
        do {
            try manager.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw LocalServerError(.configuration, "cannot create \(directory.path): \(error.localizedDescription)")
        }
        let owner = try self.owner(of: directory)
        if owner != self.uid {
            let isEmpty = (try? manager.contentsOfDirectory(atPath: directory.path))?.isEmpty ?? false
            guard self.switchesUser, isEmpty, chown(directory.path, self.uid, self.gid) == 0 else {
                throw LocalServerError(.configuration, "\(directory.path) is owned by \(Self.userName(owner)), not by \(self.name) who runs the server; remove it or set TRIPBENCH_STATE_DIR to another directory")
            }
        }
        do {
            try manager.setAttributes([.posixPermissions: mode], ofItemAtPath: directory.path)
        } catch {
            throw LocalServerError(.configuration, "cannot set the permissions of \(directory.path): \(error.localizedDescription)")
        }
    }

    func owner(of path: URL) throws -> uid_t {
        var info = stat()
        guard stat(path.path, &info) == 0 else {
            throw LocalServerError(.configuration, "cannot read \(path.path): \(String(cString: strerror(errno)))")
        }
        return info.st_uid
    }

    static func userName(_ uid: uid_t) -> String {
        getpwuid(uid).map { String(cString: $0.pointee.pw_name) } ?? "uid \(uid)"
    }
}
