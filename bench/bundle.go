package main

import (
	"encoding/json"
	"os"
	"path/filepath"
)

// writeBundles makes the two OCI bundles runc and crun run: a config.json
// for /bin/true in the same rootfs, with and without a network namespace,
// and the mounts a container usually gets.
func writeBundles(rootfs string) error {
	for name, withNet := range map[string]bool{"nonet": false, "net": true} {
		dir := filepath.Join(bundleRoot, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		b, err := json.MarshalIndent(ociConfig(rootfs, withNet), "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

type obj = map[string]interface{}

func ociConfig(rootfs string, withNet bool) obj {
	namespaces := []obj{{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}}
	if withNet {
		namespaces = append(namespaces, obj{"type": "network"})
	}
	return obj{
		"ociVersion": "1.0.2",
		"process": obj{
			"terminal": false, "user": obj{"uid": 0, "gid": 0}, "args": []string{"/bin/true"},
			"env": []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, "cwd": "/", "noNewPrivileges": true,
		},
		"root":     obj{"path": rootfs, "readonly": true},
		"hostname": "bench",
		"mounts": []obj{
			{"destination": "/proc", "type": "proc", "source": "proc"},
			{"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
			{"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
			{"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": []string{"nosuid", "noexec", "nodev", "ro"}},
		},
		"linux": obj{"namespaces": namespaces},
	}
}
