/*
 * spinectl: installs Alpine Spine onto an ESP beside what is already there,
 * shows its state, and removes it again. docs/install.md is the guide.
 *
 *   spinectl [--esp-path DIR] [--efivars DIR] [--dry-run] COMMAND ...
 *   install --slot-a DIR [--slot-b DIR] [--loader FILE] [--no-variables]
 *           [--take-fallback]
 *   update DIR [--no-variables]
 *   update --loader FILE
 *   status [--json]
 *   remove [--no-variables]
 *
 * Every slot is checked by efi/slot.c's spine_slot_prepare, the loader's own
 * sequence, against the keys inside the loader being installed, before
 * anything is written. Every error is one line "spinectl: ..." and exit 1;
 * usage errors exit 2.
 */
#define _GNU_SOURCE
#include <blkid/blkid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "bootent.h"
#include "esp.h"
#include "loaderkeys.h"
#include "loadopt.h"
#include "plan.h"
#include "slot.h"
#include "update_plan.h"

#define EFI_GLOBAL_GUID "8be4df61-93ca-11d2-aa0d-00e098032b8c"
#define SPINE_GUID "46adc6b9-827e-40ec-be2a-a69f042b8f50"
#define VAR_ATTRS (SPINE_ATTR_NV | SPINE_ATTR_BS | SPINE_ATTR_RT)
#define LOADER_CAP (16u * 1024 * 1024)
#define VAR_CAP 4096
#define ORDER_MAX 512

#define USAGE                                                                                      \
	"usage: spinectl [--esp-path DIR] [--efivars DIR] [--dry-run] COMMAND\n"                   \
	"  install --slot-a DIR [--slot-b DIR] [--loader FILE] [--no-variables]\n"                 \
	"          [--take-fallback]\n"                                                            \
	"  update DIR [--no-variables]\n"                                                          \
	"  update --loader FILE\n"                                                                 \
	"  status [--json] [--cmdline FILE]\n"                                                     \
	"  remove [--no-variables]\n"

static struct {
	const char *esp_path;
	const char *efivars;
	const char *loader;
	const char *slot_dir[2];
	const char *cmdline;
	bool dry_run, json, no_variables, take_fallback, loader_given;
} opt = {
        .efivars = "/sys/firmware/efi/efivars",
        .loader = "/usr/lib/spine/spineboot.efi",
        .cmdline = "/proc/cmdline",
};

static __attribute__((format(printf, 1, 2), noreturn)) void die(const char *fmt, ...)
{
	va_list ap;

	fputs("spinectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory");
	return p;
}

/* ---- Files ----------------------------------------------------------------- */

/* path whole, at most cap bytes: 0, -ENOENT, -EFBIG or -errno. No symlinks. */
static int slurp(const char *path, size_t cap, uint8_t **out, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -ENOENT : -EINVAL;
	}
	if ((uint64_t)st.st_size > cap) {
		close(fd);
		return -EFBIG;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	for (;;) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = -errno;
			free(buf);
			close(fd);
			return e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > (size_t)st.st_size) { /* grew under us */
			free(buf);
			close(fd);
			return -EFBIG;
		}
	}
	close(fd);
	*out = buf;
	*len = n;
	return 0;
}

static char esp_root[4096];

static const char *esp_abs(const char *rel)
{
	static char buf[2][8192];
	static int k;

	k ^= 1;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", esp_root, rel);
	return buf[k];
}

/* What an I/O error on the ESP most likely means, and what to do. */
static const char *io_hint(int r)
{
	return r == -EIO
	               ? " (the ESP's FAT may be damaged, e.g. by a power cut: run fsck.fat -a on "
	                 "its device, then this command again)"
	               : "";
}

/* The state of ESP path rel against data, or PS_ABSENT. */
static enum plan_state compare_file(const char *rel, const uint8_t *data, size_t len)
{
	uint8_t *cur;
	size_t n;
	enum plan_state s;
	int r = slurp(esp_abs(rel), len, &cur, &n);

	if (r == -ENOENT)
		return PS_ABSENT;
	if (r == -EFBIG)
		return PS_DIFFERENT;
	if (r)
		die("%s: %s%s", esp_abs(rel), strerror(-r), io_hint(r));
	s = (n == len && memcmp(cur, data, len) == 0) ? PS_SAME : PS_DIFFERENT;
	free(cur);
	return s;
}

static void fsync_dir(const char *file)
{
	char dir[8192];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", file);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		die("%s: fsync of the folder: %s", dir, strerror(errno));
	close(fd);
}

static void mkdirs_for(const char *rel)
{
	char path[8192];

	snprintf(path, sizeof(path), "%s", esp_abs(rel));
	for (char *p = path + strlen(esp_root) + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			die("%s: %s", path, strerror(errno));
		*p = '/';
	}
}

/*
 * data to ESP path rel: a temporary file beside it (O_EXCL, no symlinks),
 * written, fsynced, read back from the disk and compared, then renamed over
 * the target and the folder fsynced. On any failure the temporary file is
 * removed and the target is as it was.
 */
static void write_durable(const char *rel, const uint8_t *data, size_t len)
{
	char tmp[8300];
	const char *dst = esp_abs(rel);
	uint8_t *back = NULL;
	size_t off = 0, blen = 0;
	int fd, r;

	mkdirs_for(rel);
	snprintf(tmp, sizeof(tmp), "%s.spinectl-new", dst);
	(void)unlink(tmp); /* left by an earlier run cut short */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		die("%s: %s", tmp, strerror(errno));
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;
			close(fd);
			unlink(tmp);
			die("%s: %s%s", dst, strerror(e),
			    e == ENOSPC ? " (the ESP is full; nothing of this file was kept)" : "");
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		die("%s: fsync: %s", dst, strerror(e));
	}
	/* Read back what the disk holds, not what the page cache kept. */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
	r = slurp(tmp, len, &back, &blen);
	if (r || blen != len || memcmp(back, data, len) != 0) {
		free(back);
		unlink(tmp);
		die("%s: did not read back as written", dst);
	}
	free(back);
	if (rename(tmp, dst) < 0) {
		int e = errno;
		unlink(tmp);
		die("%s: rename: %s", dst, strerror(e));
	}
	/*
	 * On Linux vfat, rename() frees the old file's clusters at once, but
	 * the new directory entry reaches the disk only with the renamed
	 * file's inode: fsyncing the folder alone can leave, after a power
	 * cut, neither the old file nor the new one. Sync the file first.
	 */
	fd = open(dst, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		die("%s: fsync after rename: %s", dst, strerror(errno));
	close(fd);
	fsync_dir(dst);
}

static void delete_durable(const char *rel)
{
	const char *p = esp_abs(rel);

	if (unlink(p) < 0 && errno != ENOENT)
		die("%s: %s", p, strerror(errno));
	fsync_dir(p);
}

/* ---- The ESP ------------------------------------------------------------------ */

struct esp {
	char path[4096];
	struct lo_hd hd;
	char partuuid[37];
	char device[256];
	uint64_t free_bytes;
	uint32_t cluster;
};

static const char *blk_value(blkid_probe pr, const char *name, char *buf, size_t cap)
{
	const char *v = NULL;

	if (blkid_probe_lookup_value(pr, name, &v, NULL) != 0 || !v)
		return NULL;
	snprintf(buf, cap, "%s", v);
	return buf;
}

/* NULL and *e filled, or the check that failed. */
static const char *esp_probe(const char *path, struct esp *e)
{
	static char why[256];
	char parent[4200], type[32], scheme[32], ptype[64], num[32], off[32], size[32];
	struct esp_facts f = {0};
	struct statfs sfs;
	struct statvfs svfs;
	struct stat st, pst;
	blkid_probe pr;
	char *dev;
	const char *bad;
	unsigned ssz;

	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return "no such folder";
	if (statfs(path, &sfs) < 0)
		return "statfs failed";
	f.fs_vfat = sfs.f_type == MSDOS_SUPER_MAGIC;
	snprintf(parent, sizeof(parent), "%s/..", path);
	f.mount_root = stat(parent, &pst) == 0 && pst.st_dev != st.st_dev;
	if (!f.fs_vfat || !f.mount_root)
		return esp_check(&f);
	dev = blkid_devno_to_devname(st.st_dev);
	if (!dev)
		return "its block device is not found";
	snprintf(e->device, sizeof(e->device), "%s", dev);
	pr = blkid_new_probe_from_filename(dev);
	free(dev);
	if (!pr)
		return "its block device cannot be probed (blkid)";
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	if (blkid_do_safeprobe(pr) != 0) {
		blkid_free_probe(pr);
		return "its block device cannot be probed (blkid)";
	}
	f.fs_type = blk_value(pr, "TYPE", type, sizeof(type));
	f.part_scheme = blk_value(pr, "PART_ENTRY_SCHEME", scheme, sizeof(scheme));
	f.part_type = blk_value(pr, "PART_ENTRY_TYPE", ptype, sizeof(ptype));
	bad = esp_check(&f);
	if (bad) {
		blkid_free_probe(pr);
		if (f.part_type && f.part_scheme && strcmp(f.part_scheme, "gpt") == 0) {
			snprintf(why, sizeof(why), "%s, it is %s", bad, f.part_type);
			return why;
		}
		return bad;
	}
	ssz = blkid_probe_get_sectorsize(pr);
	if (!blk_value(pr, "PART_ENTRY_UUID", e->partuuid, sizeof(e->partuuid)) ||
	    lo_guid_parse(e->partuuid, e->hd.guid) != 0 ||
	    !blk_value(pr, "PART_ENTRY_NUMBER", num, sizeof(num)) ||
	    !blk_value(pr, "PART_ENTRY_OFFSET", off, sizeof(off)) ||
	    !blk_value(pr, "PART_ENTRY_SIZE", size, sizeof(size)) || ssz < 512 || ssz % 512) {
		blkid_free_probe(pr);
		return "its GPT entry cannot be read (blkid)";
	}
	blkid_free_probe(pr);
	/* blkid counts 512-byte sectors; HD() counts logical blocks. */
	e->hd.part = (uint32_t)strtoul(num, NULL, 10);
	e->hd.start = strtoull(off, NULL, 10) * 512 / ssz;
	e->hd.size = strtoull(size, NULL, 10) * 512 / ssz;
	if (statvfs(path, &svfs) < 0)
		return "statvfs failed";
	e->free_bytes = (uint64_t)svfs.f_bavail * svfs.f_frsize;
	e->cluster = (uint32_t)svfs.f_bsize;
	snprintf(e->path, sizeof(e->path), "%s", path);
	return NULL;
}

static void find_esp(struct esp *e)
{
	char all[1024] = "";
	const char *why;

	if (opt.esp_path) {
		why = esp_probe(opt.esp_path, e);
		if (why)
			die("%s: not an ESP: %s", opt.esp_path, why);
	} else {
		for (size_t i = 0; i < 3; i++) {
			why = esp_probe(esp_candidates[i], e);
			if (!why)
				goto found;
			snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s: %s",
			         i ? "; " : "", esp_candidates[i], why);
		}
		die("no ESP found (%s); name it with --esp-path", all);
	}
found:
	snprintf(esp_root, sizeof(esp_root), "%s", e->path);
}

/* ---- EFI variables through efivarfs (or a folder of the same layout) ------- */

static bool efivars_real(void)
{
	struct statfs s;

	return statfs(opt.efivars, &s) == 0 && s.f_type == EFIVARFS_MAGIC;
}

static void need_efivars(void)
{
	struct stat st;

	if (stat(opt.efivars, &st) < 0 || !S_ISDIR(st.st_mode))
		die("%s: no EFI variables here (not booted through UEFI, or efivarfs not "
		    "mounted); use --no-variables to write files only",
		    opt.efivars);
}

static void var_path(char *out, size_t cap, const char *name, const char *guid)
{
	snprintf(out, cap, "%s/%s-%s", opt.efivars, name, guid);
}

/* 0 with data (without the 4 attribute bytes), -ENOENT, or -errno. */
static int var_read(const char *name, const char *guid, uint8_t **data, size_t *len,
                    uint32_t *attrs)
{
	char path[4200];
	uint8_t *raw;
	size_t n;
	int r;

	var_path(path, sizeof(path), name, guid);
	r = slurp(path, VAR_CAP, &raw, &n);
	if (r)
		return r;
	if (n < 4) {
		free(raw);
		return -EINVAL;
	}
	*attrs = (uint32_t)raw[0] | (uint32_t)raw[1] << 8 | (uint32_t)raw[2] << 16 |
	         (uint32_t)raw[3] << 24;
	memmove(raw, raw + 4, n - 4);
	*data = raw;
	*len = n - 4;
	return 0;
}

/* efivarfs marks variables immutable; lift the flag on an existing one. */
static void lift_immutable(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), flags;

	if (fd < 0)
		return;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & FS_IMMUTABLE_FL)) {
		flags &= ~FS_IMMUTABLE_FL;
		(void)ioctl(fd, FS_IOC_SETFLAGS, &flags);
	}
	close(fd);
}

/* Writes and reads back: dies unless the variable reads back as written. */
static void var_write(const char *name, const char *guid, const uint8_t *data, size_t len)
{
	char path[4200];
	uint8_t buf[VAR_CAP + 4], *back = NULL;
	size_t blen = 0;
	uint32_t attrs = 0;
	bool real = efivars_real();
	int fd;

	if (len > VAR_CAP)
		die("%s: variable too large", name);
	var_path(path, sizeof(path), name, guid);
	buf[0] = VAR_ATTRS;
	buf[1] = buf[2] = buf[3] = 0;
	memcpy(buf + 4, data, len);
	if (real)
		lift_immutable(path);
	/* efivarfs takes attributes and data in one write(2); a plain
	 * folder (the tests' stand-in) wants the old bytes gone. */
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (real ? 0 : O_TRUNC), 0644);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	if (write(fd, buf, len + 4) != (ssize_t)(len + 4)) {
		int e = errno;
		close(fd);
		die("%s: write: %s", path, strerror(e));
	}
	close(fd);
	if (var_read(name, guid, &back, &blen, &attrs) != 0 || blen != len ||
	    memcmp(back, data, len) != 0 || attrs != VAR_ATTRS)
		die("%s: did not read back as written", path);
	free(back);
}

static void var_delete(const char *name, const char *guid)
{
	char path[4200];

	var_path(path, sizeof(path), name, guid);
	if (efivars_real())
		lift_immutable(path);
	if (unlink(path) < 0 && errno != ENOENT)
		die("%s: %s", path, strerror(errno));
}

static size_t order_read(uint16_t *order)
{
	uint8_t *raw;
	size_t len, n = 0;
	uint32_t attrs;
	int r = var_read("BootOrder", EFI_GLOBAL_GUID, &raw, &len, &attrs);

	if (r == -ENOENT)
		return 0;
	if (r)
		die("BootOrder: %s", strerror(-r));
	if (lo_order_decode(raw, len, order, ORDER_MAX, &n) != 0)
		die("BootOrder: malformed (%zu bytes)", len);
	free(raw);
	return n;
}

static void order_write(const uint16_t *order, size_t n)
{
	uint8_t raw[2 * ORDER_MAX];

	lo_order_encode(order, n, raw);
	var_write("BootOrder", EFI_GLOBAL_GUID, raw, 2 * n);
}

/*
 * Every Boot#### in the store, decoded (at most cap), and the lowest number
 * nobody uses in *free_num (-1 when all are taken).
 */
static size_t read_entries(struct be_entry *out, size_t cap, long *free_num)
{
	static bool used[0x10000];
	char suffix[64];
	struct dirent *d;
	size_t n = 0;
	DIR *dir = opendir(opt.efivars);

	memset(used, 0, sizeof(used));
	if (!dir)
		die("%s: %s", opt.efivars, strerror(errno));
	snprintf(suffix, sizeof(suffix), "-%s", EFI_GLOBAL_GUID);
	while ((d = readdir(dir))) {
		size_t l = strlen(d->d_name);
		const char *why;
		uint8_t *raw;
		size_t len;
		uint32_t attrs;
		char name[9];
		long num;

		if (l != 8 + strlen(suffix) || strcmp(d->d_name + 8, suffix) != 0)
			continue;
		num = lo_boot_number(d->d_name, 8);
		if (num < 0)
			continue;
		used[num] = true;
		if (n == cap)
			continue;
		memcpy(name, d->d_name, 8);
		name[8] = 0;
		if (var_read(name, EFI_GLOBAL_GUID, &raw, &len, &attrs) != 0)
			continue;
		out[n].num = (uint16_t)num;
		out[n].decoded = lo_decode(raw, len, &out[n].opt, &why) == 0;
		n++;
		free(raw);
	}
	closedir(dir);
	*free_num = -1;
	for (long i = 0; i < 0x10000; i++)
		if (!used[i]) {
			*free_num = i;
			break;
		}
	return n;
}

#define ENTRIES_MAX 256
static struct be_entry entries[ENTRIES_MAX];

/* The lowest-numbered Boot#### on our partition pointing at efi_path (any
 * case), or -1; *free_num the lowest number nobody uses. */
static long find_entry_path(const struct esp *e, const char *efi_path, long *free_num)
{
	size_t n = read_entries(entries, ENTRIES_MAX, free_num);
	long ours = -1;

	for (size_t i = 0; i < n; i++)
		if (entries[i].decoded && lo_matches(&entries[i].opt, e->hd.guid, efi_path) &&
		    (ours < 0 || entries[i].num < ours))
			ours = entries[i].num;
	return ours;
}

static long find_entry(const struct esp *e, long *free_num)
{
	return find_entry_path(e, be_loader_efi[0], free_num);
}

/*
 * The loader file in use: the one of the first of our entries (on this
 * partition) in BootOrder, which is what the firmware starts when nothing
 * else is asked of it. Loader 0 (install's) when the variables are not read
 * or none of ours is in BootOrder. *entry its Boot#### number or -1.
 */
static int loader_in_use(const struct esp *e, bool vars, long *entry)
{
	uint16_t order[ORDER_MAX];
	size_t norder, n;
	long free_num, best = -1;
	int which = 0;

	*entry = -1;
	if (!vars)
		return 0;
	n = read_entries(entries, ENTRIES_MAX, &free_num);
	norder = order_read(order);
	for (size_t i = 0; i < n; i++) {
		int k = entries[i].decoded ? be_loader_of(&entries[i].opt) : -1;
		long at = lo_order_index(order, norder, entries[i].num);

		if (k < 0 || at < 0 || !lo_matches(&entries[i].opt, e->hd.guid, be_loader_efi[k]))
			continue;
		if (best < 0 || at < best) {
			best = at;
			which = k;
			*entry = entries[i].num;
		}
	}
	return which;
}

/* ---- The loader and the slots ----------------------------------------------- */

struct loader {
	uint8_t *bytes;
	size_t len;
	sv_pubkey keys[LK_MAX_KEYS];
	size_t nkeys;
};

/* -1 with *why when bytes are not a spineboot with a key table. */
static int loader_keys(const uint8_t *bytes, size_t len, sv_pubkey *keys, size_t *n,
                       const char **why)
{
	struct lk_key lk[LK_MAX_KEYS];
	const uint8_t *sec;
	size_t size;

	if (lk_find_section(bytes, len, ".spkeys", &sec, &size, why) != 0 ||
	    lk_parse_marker(sec, size, lk, n, why) != 0)
		return -1;
	for (size_t i = 0; i < *n; i++) {
		memcpy(keys[i].keynum, lk[i].keynum, sizeof(keys[i].keynum));
		memcpy(keys[i].key, lk[i].key, sizeof(keys[i].key));
	}
	return 0;
}

static void loader_load(const char *path, struct loader *l)
{
	const char *why = "";
	int r = slurp(path, LOADER_CAP, &l->bytes, &l->len);

	if (r)
		die("%s: %s", path, r == -EFBIG ? "larger than 16 MiB" : strerror(-r));
	if (loader_keys(l->bytes, l->len, l->keys, &l->nkeys, &why) != 0)
		die("%s: not a spineboot.efi with a key table: %s", path, why);
}

struct host_ctx {
	const char *dir[2];
};

static spine_read_result h_read(void *ctx, char slot, const char *name, size_t cap, uint8_t **buf,
                                size_t *len, uint64_t *status)
{
	struct host_ctx *c = ctx;
	char path[8192];
	int r;

	snprintf(path, sizeof(path), "%s/%s", c->dir[slot - 'a'], name);
	r = slurp(path, cap, buf, len);
	if (r == 0)
		return SPINE_READ_OK;
	if (r == -ENOENT)
		return SPINE_READ_MISSING;
	if (r == -EFBIG)
		return SPINE_READ_TOO_LARGE;
	*status = (uint64_t)-r;
	return SPINE_READ_ERROR;
}

static void *h_alloc(void *ctx, size_t len)
{
	(void)ctx;
	return malloc(len);
}

static void h_free(void *ctx, void *buf)
{
	(void)ctx;
	free(buf);
}

/* The loader's variables do not exist for a slot being installed: a fresh
 * install, floor 0, nothing recorded. */
static spine_var_read h_state_read(void *ctx, char slot, const char *name,
                                   uint8_t buf[SPINE_STATE_LEN], size_t *len, uint32_t *attrs,
                                   uint64_t *status)
{
	(void)ctx, (void)slot, (void)name, (void)buf, (void)len, (void)attrs, (void)status;
	return SPINE_VAR_ABSENT;
}

static uint64_t h_state_write(void *ctx, char slot, const char *name,
                              const uint8_t buf[SPINE_STATE_LEN])
{
	(void)ctx, (void)slot, (void)name, (void)buf;
	return 0;
}

static void h_sweep(void *ctx, char slot, const char *keep)
{
	(void)ctx, (void)slot, (void)keep;
}

static spine_var_read h_floor_read(void *ctx, uint8_t buf[8], size_t *len, uint32_t *attrs,
                                   uint64_t *status)
{
	(void)ctx, (void)buf, (void)len, (void)attrs, (void)status;
	return SPINE_VAR_ABSENT;
}

static uint64_t h_floor_write(void *ctx, uint64_t floor)
{
	(void)ctx, (void)floor;
	return 0;
}

static uint64_t h_floor_delete(void *ctx)
{
	(void)ctx;
	return 0;
}

static uint64_t h_measure(void *ctx, const struct spine_event ev[SPINE_NEVENTS])
{
	(void)ctx, (void)ev;
	return 0;
}

static const char *h_status(uint64_t status)
{
	return strerror((int)status);
}

static void h_note(void *ctx, const char *text)
{
	(void)ctx, (void)text;
}

static struct spine_ops host_ops(struct host_ctx *c, const struct loader *l)
{
	struct spine_ops ops = {
	        .ctx = c,
	        .keys = l->keys,
	        .nkeys = l->nkeys,
	        .read_file = h_read,
	        .alloc = h_alloc,
	        .free_buf = h_free,
	        .state_read = h_state_read,
	        .state_write = h_state_write,
	        .state_sweep = h_sweep,
	        .floor_read = h_floor_read,
	        .floor_write = h_floor_write,
	        .floor_delete = h_floor_delete,
	        .measure = h_measure,
	        .status_str = h_status,
	        .note = h_note,
	};
	return ops;
}

/* Checks slot (0 a, 1 b) in dir as the loader would; on success s holds the
 * verified bytes, which are what gets copied. */
static bool slot_check(const struct spine_ops *ops, struct host_ctx *c, int slot, const char *dir,
                       struct spine_slot *s, char *why, size_t cap)
{
	struct spine_floor_state fl = {.ok = true, .value = 0};

	c->dir[slot] = dir;
	memset(s, 0, sizeof(*s));
	s->slot = (char)('a' + slot);
	if (spine_slot_prepare(ops, &fl, s))
		return true;
	snprintf(why, cap, "%s", s->why);
	spine_slot_release(ops, s);
	return false;
}

/* ---- install ------------------------------------------------------------------- */

static const uint8_t *src_bytes(int src, const struct loader *l, struct spine_slot *s, size_t *len)
{
	int k, f;

	if (src == PSRC_LOADER) {
		*len = l->len;
		return l->bytes;
	}
	k = (src - PSRC_SLOT_A) / PF_N;
	f = (src - PSRC_SLOT_A) % PF_N;
	if (f == PF_SIG) {
		*len = s[k].sig_len;
		return s[k].sig;
	}
	/* enum plan_file and enum spine_file share the first four. */
	*len = s[k].len[f];
	return s[k].file[f];
}

static enum plan_fallback fallback_state(const struct loader *l, uint8_t **cur, size_t *len)
{
	sv_pubkey k[LK_MAX_KEYS];
	const char *why;
	size_t n;
	int r = slurp(esp_abs(PLAN_FALLBACK_PATH), LOADER_CAP, cur, len);

	if (r == -ENOENT)
		return PFB_ABSENT;
	if (r == -EFBIG)
		return PFB_FOREIGN;
	if (r)
		die("%s: %s%s", esp_abs(PLAN_FALLBACK_PATH), strerror(-r), io_hint(r));
	if (l && *len == l->len && memcmp(*cur, l->bytes, *len) == 0)
		return PFB_OURS_SAME;
	if (loader_keys(*cur, *len, k, &n, &why) == 0)
		return PFB_OURS_OTHER;
	return PFB_FOREIGN;
}

static void say(const char *verb, const char *what)
{
	printf("%s%s %s\n", opt.dry_run ? "would " : "", verb, what);
}

static int cmd_install(void)
{
	struct plan_action act[PLAN_MAX];
	struct plan_in in = {0};
	struct spine_slot slots[2];
	struct host_ctx hc = {{0}};
	struct loader l;
	struct spine_ops ops;
	struct esp e = {0};
	uint8_t entry[1024], *fb = NULL;
	uint16_t order[ORDER_MAX], neworder[ORDER_MAX];
	size_t entry_len = 0, fb_len = 0, norder = 0, nnew = 0, nact, writes = 0;
	uint64_t bytes;
	long num = -1, free_num = -1;
	char why[256], name[9];
	const char *ewhy;

	if (!opt.slot_dir[0])
		die("install: --slot-a DIR is required");
	/* 1. Everything checked before anything is written. */
	find_esp(&e);
	loader_load(opt.loader, &l);
	ops = host_ops(&hc, &l);
	for (int s = 0; s < 2; s++) {
		if (!opt.slot_dir[s])
			continue;
		if (!slot_check(&ops, &hc, s, opt.slot_dir[s], &slots[s], why, sizeof(why)))
			die("slot %c (%s): the loader would refuse it: %s", 'a' + s,
			    opt.slot_dir[s], why);
	}
	in.loader = compare_file(PLAN_LOADER_PATH, l.bytes, l.len);
	in.loader_size = l.len;
	for (int s = 0; s < 2; s++) {
		if (!opt.slot_dir[s])
			continue;
		in.slot_given[s] = true;
		for (int f = 0; f < PF_N; f++) {
			size_t len;
			const uint8_t *b = src_bytes(PSRC_SLOT_A + s * PF_N + f, &l, slots, &len);

			in.slot[s][f] = compare_file(plan_slot_path(s, (enum plan_file)f), b, len);
			in.slot_size[s][f] = len;
		}
	}
	in.fallback = fallback_state(&l, &fb, &fb_len);
	in.fallback_size = fb_len;
	in.fallback_saved = access(esp_abs(PLAN_SAVED_PATH), F_OK) == 0;
	in.take_fallback = opt.take_fallback;
	in.variables = !opt.no_variables;
	in.cluster = e.cluster;
	if (in.variables) {
		uint8_t *cur;
		size_t cl;
		uint32_t attrs;

		need_efivars();
		num = find_entry(&e, &free_num);
		if (num < 0)
			num = free_num;
		if (num < 0)
			die("no free Boot#### number");
		snprintf(name, sizeof(name), "Boot%04X", (unsigned)num & 0xffffu);
		if (lo_encode(LO_ACTIVE, be_loader_desc[0], &e.hd, PLAN_LOADER_EFI_PATH, entry,
		              sizeof(entry), &entry_len, &ewhy) != 0)
			die("Boot####: %s", ewhy);
		if (var_read(name, EFI_GLOBAL_GUID, &cur, &cl, &attrs) == 0) {
			in.entry_same = cl == entry_len && memcmp(cur, entry, cl) == 0 &&
			                attrs == VAR_ATTRS;
			free(cur);
		}
		norder = order_read(order);
		nnew = lo_order_first(order, norder, (uint16_t)num, neworder, ORDER_MAX);
		in.order_first = nnew == norder && memcmp(order, neworder, 2 * norder) == 0;
	}
	nact = plan_install(&in, act, &bytes);
	if (bytes > e.free_bytes)
		die("%s: not enough space on the ESP: %llu bytes needed, %llu free; nothing "
		    "was written",
		    e.path, (unsigned long long)bytes, (unsigned long long)e.free_bytes);

	/* 2. The plan, in its order (docs/install.md). */
	for (size_t i = 0; i < nact; i++) {
		const struct plan_action *a = &act[i];
		const uint8_t *b;
		size_t len;
		char what[256];

		switch (a->kind) {
		case PA_DELETE:
			say("delete", esp_abs(a->path));
			if (!opt.dry_run)
				delete_durable(a->path);
			break;
		case PA_COPY:
			b = src_bytes(a->src, &l, slots, &len);
			snprintf(what, sizeof(what), "%s (%zu bytes)", esp_abs(a->path), len);
			say("write", what);
			if (!opt.dry_run)
				write_durable(a->path, b, len);
			break;
		case PA_SAVE_FALLBACK:
			snprintf(what, sizeof(what), "%s to %s", esp_abs(PLAN_FALLBACK_PATH),
			         esp_abs(a->path));
			say("keep", what);
			if (!opt.dry_run)
				write_durable(a->path, fb, fb_len);
			break;
		case PA_KEEP_FALLBACK:
			printf("note: %s belongs to another loader and stays (--take-fallback "
			       "replaces it)\n",
			       esp_abs(a->path));
			writes--;
			break;
		case PA_WRITE_ENTRY:
			snprintf(what, sizeof(what), "%s \"%s\" HD(%u,GPT,%s)/%s", name,
			         be_loader_desc[0], e.hd.part, e.partuuid, PLAN_LOADER_EFI_PATH);
			say("set", what);
			if (!opt.dry_run)
				var_write(name, EFI_GLOBAL_GUID, entry, entry_len);
			break;
		case PA_WRITE_ORDER:
			snprintf(what, sizeof(what), "BootOrder with %s first (%zu entries)", name,
			         nnew);
			say("set", what);
			if (!opt.dry_run)
				order_write(neworder, nnew);
			break;
		}
		writes++;
	}
	if (writes == 0)
		printf("installed already: nothing to do\n");
	else if (!opt.dry_run)
		printf("installed on %s (%s)\n", e.path, e.device);
	for (int s = 0; s < 2; s++)
		if (opt.slot_dir[s])
			spine_slot_release(&ops, &slots[s]);
	free(l.bytes);
	free(fb);
	return 0;
}

/* ---- update -------------------------------------------------------------------- */

/* A slot on the ESP as update sees it: the loader's verdict on it, the state
 * the loader keeps for this install of it, and its files' bytes. */
struct esp_slot {
	struct upd_slot u;
	struct spine_slot sp; /* the verified bytes, when u.verifies */
	uint8_t *raw[PF_N];   /* the files as they are, NULL when absent */
	size_t len[PF_N];
	bool has_state;
	struct spine_state st;
	char why[192];
};

static size_t file_cap(int f)
{
	return f == PF_SIG ? SPINE_CAP_SIG : spine_file_cap((enum spine_file)f);
}

static void esp_slot_read(const struct loader *l, int s, struct esp_slot *es)
{
	struct host_ctx hc = {{0}};
	struct spine_ops ops = host_ops(&hc, l);
	char dir[8192];

	memset(es, 0, sizeof(*es));
	for (int f = 0; f < PF_N; f++) {
		const char *p = esp_abs(plan_slot_path(s, (enum plan_file)f));
		int r = slurp(p, file_cap(f), &es->raw[f], &es->len[f]);

		if (r == -ENOENT)
			continue;
		if (r == -EFBIG) { /* larger than the loader reads: not the same as anything */
			es->raw[f] = NULL;
			es->u.has[f] = true;
			es->u.size[f] = file_cap(f) + 1;
			continue;
		}
		if (r)
			die("%s: %s%s", p, strerror(-r), io_hint(r));
		es->u.has[f] = true;
		es->u.size[f] = es->len[f];
	}
	es->u.present = es->raw[PF_SIG] != NULL;
	if (!es->u.present) {
		snprintf(es->why, sizeof(es->why), "SHA512.sig: missing");
		return;
	}
	snprintf(dir, sizeof(dir), "%s/spine/%c", esp_root, 'a' + s);
	es->u.verifies = slot_check(&ops, &hc, s, dir, &es->sp, es->why, sizeof(es->why));
	if (es->u.verifies)
		es->u.version = es->sp.version;
	if (!opt.no_variables) {
		uint8_t id[SPINE_STATE_DIGEST_LEN], *raw;
		char var[SPINE_STATE_NAME_LEN];
		size_t len;
		uint32_t attrs;
		int r;

		spine_manifest_id(es->raw[PF_SIG], es->len[PF_SIG], id);
		spine_state_name((char)('a' + s), id, var);
		r = var_read(var, SPINE_GUID, &raw, &len, &attrs);
		if (r == 0) {
			es->has_state =
			        spine_state_decode(raw, len, attrs, &es->st) == SPINE_STATE_OK;
			free(raw);
		} else if (r != -ENOENT) {
			die("%s: %s", var, strerror(-r));
		}
		/* Good for this very SHA512.sig, as the loader's verdict
		 * "boot good" reads it. */
		es->u.good = es->has_state && es->st.good &&
		             memcmp(es->st.manifest, id, SPINE_STATE_DIGEST_LEN) == 0;
	}
}

static bool same_bytes(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	return a && b && al == bl && memcmp(a, b, al) == 0;
}

static void esp_slot_say(int s, const struct esp_slot *es)
{
	printf("slot %c: ", 'a' + s);
	if (!es->u.present)
		printf("no slot (%s)\n", es->why);
	else if (!es->u.verifies)
		printf("refused by the loader: %s\n", es->why);
	else
		printf("version %u, %s\n", es->u.version,
		       es->u.good         ? "good"
		       : es->has_state    ? "not good"
		       : opt.no_variables ? "state not read (--no-variables)"
		                          : "not booted yet");
}

/*
 * SPINECTL_TEST_STOP_AFTER=N, a test hook (docs/install.md, "Tests"): after
 * the N-th action is on the disk, sync and stop this process, so that the
 * power-cut test kills the machine at a chosen point of the update.
 * SPINECTL_TEST_FAIL_AFTER=N: sync and exit 1 there instead, as an update
 * that fails part way (an I/O error), for its caller's error path.
 */
static void test_stop(size_t done)
{
	const char *v = getenv("SPINECTL_TEST_STOP_AFTER");
	const char *f = getenv("SPINECTL_TEST_FAIL_AFTER");

	if (f && strtoul(f, NULL, 10) == done) {
		sync();
		fprintf(stderr, "spinectl: test hook: failing after action %zu\n", done);
		exit(1);
	}
	if (!v || strtoul(v, NULL, 10) != done)
		return;
	sync();
	fprintf(stderr, "spinectl: test hook: stopped after action %zu\n", done);
	for (;;)
		raise(SIGSTOP);
}

static int cmd_update(const char *dir)
{
	struct upd_in in = {0};
	struct upd_plan p;
	struct esp_slot cur[2];
	struct spine_slot nw;
	struct host_ctx hc = {{0}};
	struct spine_ops ops;
	struct loader l = {0};
	struct esp e = {0};
	const char *why = "";
	char nwhy[256];
	int r;

	const char *lpath;
	long in_use_entry;

	if (opt.slot_dir[0] || opt.slot_dir[1] || opt.take_fallback)
		die("update: --slot-a, --slot-b and --take-fallback are install's options; update "
		    "takes one slot folder");
	/* 1. Everything checked before anything is written: the loader in
	 * use and its keys, the new slot as that loader would check it, and
	 * the two slots there with the loader's record of them. */
	find_esp(&e);
	if (!opt.no_variables)
		need_efivars();
	lpath = be_loader_file[loader_in_use(&e, !opt.no_variables, &in_use_entry)];
	r = slurp(esp_abs(lpath), LOADER_CAP, &l.bytes, &l.len);
	if (r)
		die("%s: %s; update needs an installed loader (spinectl install)", esp_abs(lpath),
		    r == -EFBIG ? "larger than 16 MiB" : strerror(-r));
	if (loader_keys(l.bytes, l.len, l.keys, &l.nkeys, &why) != 0)
		die("%s: not a spineboot.efi with a key table: %s", esp_abs(lpath), why);
	ops = host_ops(&hc, &l);
	if (!slot_check(&ops, &hc, 0, dir, &nw, nwhy, sizeof(nwhy)))
		die("update: %s: the loader would refuse it: %s; nothing was written", dir, nwhy);
	for (int s = 0; s < 2; s++) {
		esp_slot_read(&l, s, &cur[s]);
		esp_slot_say(s, &cur[s]);
	}
	printf("new slot (%s): version %u\n", dir, nw.version);
	in.a = cur[0].u;
	in.b = cur[1].u;
	in.new_version = nw.version;
	in.cluster = e.cluster;
	for (int f = 0; f < PF_N; f++) {
		size_t len;
		const uint8_t *b = src_bytes(PSRC_SLOT_A + f, &l, &nw, &len);

		in.new_size[f] = len;
		in.a_is_new[f] = same_bytes(cur[0].raw[f], cur[0].len[f], b, len);
		in.b_is_a[f] =
		        same_bytes(cur[1].raw[f], cur[1].len[f], cur[0].raw[f], cur[0].len[f]);
	}
	upd_plan(&in, &p);
	switch (p.result) {
	case UPD_OK:
		break;
	case UPD_NOTHING:
		printf("updated already: slot a holds this slot\n");
		return 0;
	case UPD_DOWNGRADE:
		die("update: %s: version %u is below the good version %u; nothing was written", dir,
		    nw.version, p.good_version);
	case UPD_NO_FALLBACK:
		die("update: %s (slot b: %s); nothing was written", upd_result_str(p.result),
		    cur[1].u.present && !cur[1].u.verifies ? cur[1].why
		    : cur[1].u.present                     ? "verifies"
		                                           : "absent");
	}
	if (p.bytes > e.free_bytes)
		die("%s: not enough space on the ESP: %llu bytes needed, %llu free; nothing "
		    "was written",
		    e.path, (unsigned long long)p.bytes, (unsigned long long)e.free_bytes);
	if (!p.copy_b)
		printf("slot b stays as it is: %s\n",
		       cur[0].u.good ? "it holds slot a's files already"
		                     : "slot a is not marked good, slot b is the fallback");

	/* 2. The plan, in its order: B, then A, each SHA512.sig first and
	 * last (docs/install.md, "update"). */
	for (size_t i = 0; i < p.n; i++) {
		const struct upd_action *a = &p.act[i];
		const char *rel = plan_slot_path(a->slot, a->file);
		const uint8_t *b;
		size_t len;
		char what[8300];

		if (a->kind == UA_DELETE) {
			say("delete", esp_abs(rel));
			if (!opt.dry_run)
				delete_durable(rel);
		} else {
			if (a->src == UPD_SRC_A)
				b = src_bytes(PSRC_SLOT_A + (int)a->file, &l, &cur[0].sp, &len);
			else
				b = src_bytes(PSRC_SLOT_A + (int)a->file, &l, &nw, &len);
			snprintf(what, sizeof(what), "%s (%zu bytes, %s)", esp_abs(rel), len,
			         a->src == UPD_SRC_A ? "slot a's" : "the new slot's");
			say("write", what);
			if (!opt.dry_run)
				write_durable(rel, b, len);
		}
		if (!opt.dry_run)
			test_stop(i + 1);
	}
	if (!opt.dry_run)
		printf("updated %s: slot a version %u boots next, with fresh tries; slot b version "
		       "%u is the fallback\n",
		       e.path, nw.version, p.copy_b ? cur[0].u.version : cur[1].u.version);
	spine_slot_release(&ops, &nw);
	for (int s = 0; s < 2; s++) {
		if (cur[s].u.verifies)
			spine_slot_release(&ops, &cur[s].sp);
		for (int f = 0; f < PF_N; f++)
			free(cur[s].raw[f]);
	}
	free(l.bytes);
	return 0;
}

/* ---- update --loader ------------------------------------------------------------ */

/* BootNext's number, or -1 when it is not set (or not two bytes). */
static long boot_next(void)
{
	uint8_t *raw;
	size_t len;
	uint32_t attrs;
	long v = -1;

	if (var_read("BootNext", EFI_GLOBAL_GUID, &raw, &len, &attrs) == 0) {
		if (len == 2)
			v = raw[0] | raw[1] << 8;
		free(raw);
	}
	return v;
}

static uint64_t round_cluster(uint64_t n, uint32_t cluster)
{
	return cluster ? (n + cluster - 1) / cluster * cluster : n;
}

/*
 * The loader's own A/B update (docs/install.md, "update --loader"): two
 * loader files, the one in use never written. The new loader goes into the
 * other file, gets its own Boot#### outside BootOrder and is started once
 * through BootNext; bay0 promotes it in BootOrder only after that boot is
 * marked good (bay0/bootvar.c). Run again once it is in use, the same
 * command updates the fallback path, when that is ours, and nothing else.
 */
static int cmd_update_loader(const char *file)
{
	struct loader nl, cl = {0};
	struct esp_slot es[2];
	struct esp e = {0};
	uint16_t order[ORDER_MAX], neworder[ORDER_MAX];
	uint8_t entry[1024], *cur = NULL, *fb = NULL;
	size_t entry_len = 0, norder, nnew, fb_len = 0, done = 0, cl_len;
	long in_entry, tnum, free_num, next;
	bool entry_same = false, file_same;
	const char *ewhy;
	char name[9], what[512];
	uint32_t attrs;
	int u, t, r, verify = 0;

	if (opt.no_variables)
		die("update --loader: the new loader is started once through BootNext, a variable; "
		    "it cannot work with --no-variables; nothing was written");
	if (opt.slot_dir[0] || opt.slot_dir[1] || opt.take_fallback)
		die("update --loader: --slot-a, --slot-b and --take-fallback are install's "
		    "options; nothing was written");
	/* 1. Everything checked before anything is written. */
	find_esp(&e);
	need_efivars();
	loader_load(file, &nl);
	u = loader_in_use(&e, true, &in_entry);
	if (in_entry < 0)
		die("update --loader: no Alpine Spine entry in BootOrder, so no loader is in use "
		    "to "
		    "fall back to (spinectl install writes one); nothing was written");
	t = 1 - u;
	r = slurp(esp_abs(be_loader_file[u]), LOADER_CAP, &cl.bytes, &cl_len);
	if (r)
		die("%s: %s (the loader Boot%04lX starts); nothing was written",
		    esp_abs(be_loader_file[u]), strerror(-r), in_entry);
	cl.len = cl_len;
	printf("loader in use: %s (Boot%04lX)\n", esp_abs(be_loader_file[u]), in_entry);
	/* The new loader must boot a slot: one that verifies under its keys. */
	for (int s = 0; s < 2; s++) {
		esp_slot_read(&nl, s, &es[s]);
		printf("under the new loader, ");
		esp_slot_say(s, &es[s]);
		verify += es[s].u.verifies;
	}
	if (!verify)
		die("update --loader: %s: the new loader would boot neither slot (slot a: %s; slot "
		    "b: %s); nothing was written",
		    file, es[0].why, es[1].why);

	if (same_bytes(cl.bytes, cl.len, nl.bytes, nl.len)) {
		/* The new loader is in use: what is left is the fallback path
		 * (last, and only when it is ours or absent) and a BootNext to
		 * the other file that no longer means anything. */
		enum plan_fallback fs = fallback_state(&nl, &fb, &fb_len);

		printf("the loader in use holds %s\n", file);
		next = boot_next();
		tnum = find_entry_path(&e, be_loader_efi[t], &free_num);
		if (next >= 0 && next == tnum) {
			snprintf(what, sizeof(what), "BootNext (Boot%04lX, the other loader)",
			         next);
			say("delete", what);
			if (!opt.dry_run)
				var_delete("BootNext", EFI_GLOBAL_GUID);
			done++;
		}
		if (fs == PFB_FOREIGN) {
			printf("note: %s belongs to another loader and stays\n",
			       esp_abs(PLAN_FALLBACK_PATH));
		} else if (fs != PFB_OURS_SAME) {
			if (round_cluster(nl.len, e.cluster) > e.free_bytes)
				die("%s: not enough space on the ESP: %llu bytes needed, %llu "
				    "free; "
				    "nothing more was written",
				    e.path, (unsigned long long)round_cluster(nl.len, e.cluster),
				    (unsigned long long)e.free_bytes);
			snprintf(what, sizeof(what), "%s (%zu bytes, the loader in use)",
			         esp_abs(PLAN_FALLBACK_PATH), nl.len);
			say("write", what);
			if (!opt.dry_run) {
				write_durable(PLAN_FALLBACK_PATH, nl.bytes, nl.len);
				test_stop(++done);
			} else {
				done++;
			}
		}
		if (!done)
			printf("updated already: the loader in use and the fallback path hold %s\n",
			       file);
		goto out;
	}

	/* The other file, its entry, BootNext: each skipped when it already
	 * says what it should. */
	file_same = compare_file(be_loader_file[t], nl.bytes, nl.len) == PS_SAME;
	if (!file_same && round_cluster(nl.len, e.cluster) > e.free_bytes)
		die("%s: not enough space on the ESP: %llu bytes needed, %llu free; nothing "
		    "was written",
		    e.path, (unsigned long long)round_cluster(nl.len, e.cluster),
		    (unsigned long long)e.free_bytes);
	tnum = find_entry_path(&e, be_loader_efi[t], &free_num);
	if (tnum < 0)
		tnum = free_num;
	if (tnum < 0)
		die("no free Boot#### number; nothing was written");
	snprintf(name, sizeof(name), "Boot%04X", (unsigned)tnum & 0xffffu);
	if (lo_encode(LO_ACTIVE, be_loader_desc[t], &e.hd, be_loader_efi[t], entry, sizeof(entry),
	              &entry_len, &ewhy) != 0)
		die("Boot####: %s", ewhy);
	if (var_read(name, EFI_GLOBAL_GUID, &cur, &cl_len, &attrs) == 0) {
		entry_same = cl_len == entry_len && memcmp(cur, entry, cl_len) == 0 &&
		             attrs == VAR_ATTRS;
		free(cur);
	}
	norder = order_read(order);
	nnew = lo_order_remove(order, norder, (uint16_t)tnum, neworder, ORDER_MAX);
	next = boot_next();
	printf("new loader (%s) goes into %s\n", file, esp_abs(be_loader_file[t]));

	/* 2. In this order: the entry the new loader will have leaves
	 * BootOrder (the trial is a boot outside BootOrder, and the firmware
	 * must never fall through to a file being written); the file; its
	 * entry; BootNext, last, the one write that makes the firmware start
	 * it, once. */
	if (nnew != norder) {
		snprintf(what, sizeof(what), "BootOrder without %s (%zu entries)", name, nnew);
		say("set", what);
		if (!opt.dry_run) {
			order_write(neworder, nnew);
			test_stop(done + 1);
		}
		done++;
	}
	if (!file_same) {
		snprintf(what, sizeof(what), "%s (%zu bytes)", esp_abs(be_loader_file[t]), nl.len);
		say("write", what);
		if (!opt.dry_run) {
			write_durable(be_loader_file[t], nl.bytes, nl.len);
			test_stop(done + 1);
		}
		done++;
	}
	if (!entry_same) {
		snprintf(what, sizeof(what), "%s \"%s\" HD(%u,GPT,%s)/%s, not in BootOrder", name,
		         be_loader_desc[t], e.hd.part, e.partuuid, be_loader_efi[t]);
		say("set", what);
		if (!opt.dry_run) {
			var_write(name, EFI_GLOBAL_GUID, entry, entry_len);
			test_stop(done + 1);
		}
		done++;
	}
	if (next != tnum) {
		uint8_t nb[2] = {(uint8_t)(tnum & 0xff), (uint8_t)(tnum >> 8)};

		snprintf(what, sizeof(what), "BootNext to %s", name);
		say("set", what);
		if (!opt.dry_run) {
			var_write("BootNext", EFI_GLOBAL_GUID, nb, 2);
			test_stop(done + 1);
		}
		done++;
	}
	if (!done)
		printf("nothing to do: %s starts %s at the next boot\n", name, file);
	if (!opt.dry_run)
		printf("reboot: the firmware starts %s once (BootNext); bay0 puts %s first in "
		       "BootOrder once that boot is marked good; then run this command again to "
		       "update the fallback path\n",
		       esp_abs(be_loader_file[t]), name);
out:
	for (int s = 0; s < 2; s++) {
		if (es[s].u.verifies) {
			struct host_ctx hc = {{0}};
			struct spine_ops ops = host_ops(&hc, &nl);

			spine_slot_release(&ops, &es[s].sp);
		}
		for (int f = 0; f < PF_N; f++)
			free(es[s].raw[f]);
	}
	free(nl.bytes);
	free(cl.bytes);
	free(fb);
	return 0;
}

/* ---- remove -------------------------------------------------------------------- */

static void rmdir_if_empty(const char *rel)
{
	const char *p = esp_abs(rel);

	if (access(p, F_OK) != 0)
		return;
	say("remove folder (if empty)", p);
	if (!opt.dry_run && rmdir(p) == 0)
		fsync_dir(p);
}

static int cmd_remove(void)
{
	struct esp e = {0};
	uint8_t *fb = NULL, *saved = NULL;
	size_t fb_len = 0, saved_len = 0;
	int r;

	find_esp(&e);
	/* 1. Variables first: the firmware stops pointing at our files before
	 * they go. */
	if (!opt.no_variables) {
		uint16_t order[ORDER_MAX], neworder[ORDER_MAX];
		long free_num, num;
		size_t n, m;
		char name[9];

		need_efivars();
		n = order_read(order);
		for (int k = 0; k < BE_LOADERS; k++) {
			num = find_entry_path(&e, be_loader_efi[k], &free_num);
			if (num < 0)
				continue;
			snprintf(name, sizeof(name), "Boot%04X", (unsigned)num & 0xffffu);
			m = lo_order_remove(order, n, (uint16_t)num, neworder, ORDER_MAX);
			if (m != n) {
				say("set", "BootOrder without our entry");
				if (!opt.dry_run)
					order_write(neworder, m);
				memcpy(order, neworder, 2 * m);
				n = m;
			}
			if (boot_next() == num) {
				say("delete", "BootNext");
				if (!opt.dry_run)
					var_delete("BootNext", EFI_GLOBAL_GUID);
			}
			say("delete", name);
			if (!opt.dry_run)
				var_delete(name, EFI_GLOBAL_GUID);
		}
	}
	/* The loader's record of each install's attempts: dead weight in a
	 * small variable store once the slots are gone. The rollback floor
	 * is invisible from here (NV|BS) and stays. */
	if (!opt.no_variables) {
		char suffix[64];
		struct dirent *d;
		DIR *dir = opendir(opt.efivars);

		snprintf(suffix, sizeof(suffix), "-%s", SPINE_GUID);
		while (dir && (d = readdir(dir))) {
			size_t l = strlen(d->d_name), sl = strlen(suffix);
			char name[128];

			if (l <= sl || l - sl >= sizeof(name) ||
			    strcmp(d->d_name + l - sl, suffix) ||
			    (strncmp(d->d_name, "SpineSlotA", 10) &&
			     strncmp(d->d_name, "SpineSlotB", 10)))
				continue;
			memcpy(name, d->d_name, l - sl);
			name[l - sl] = 0;
			say("delete", name);
			if (!opt.dry_run)
				var_delete(name, SPINE_GUID);
		}
		if (dir)
			closedir(dir);
	}
	/* 2. The fallback path: what it held before, or nothing when it was ours. */
	r = slurp(esp_abs(PLAN_SAVED_PATH), LOADER_CAP, &saved, &saved_len);
	if (r == 0) {
		say("restore", esp_abs(PLAN_FALLBACK_PATH));
		if (!opt.dry_run)
			write_durable(PLAN_FALLBACK_PATH, saved, saved_len);
		say("delete", esp_abs(PLAN_SAVED_PATH));
		if (!opt.dry_run)
			delete_durable(PLAN_SAVED_PATH);
	} else if (fallback_state(NULL, &fb, &fb_len) == PFB_OURS_OTHER) {
		say("delete", esp_abs(PLAN_FALLBACK_PATH));
		if (!opt.dry_run)
			delete_durable(PLAN_FALLBACK_PATH);
		rmdir_if_empty("EFI/BOOT");
	}
	/* 3. Our files: each slot's SHA512.sig first, as an update would. */
	for (int s = 0; s < 2; s++) {
		static const int order[PF_N] = {PF_SIG, PF_KERNEL, PF_INITRD, PF_CMDLINE, PF_CONF};

		for (int k = 0; k < PF_N; k++) {
			const char *rel = plan_slot_path(s, (enum plan_file)order[k]);

			if (access(esp_abs(rel), F_OK) != 0)
				continue;
			say("delete", esp_abs(rel));
			if (!opt.dry_run)
				delete_durable(rel);
		}
		rmdir_if_empty(s ? "spine/b" : "spine/a");
	}
	rmdir_if_empty("spine");
	for (int k = 0; k < BE_LOADERS; k++) {
		if (access(esp_abs(be_loader_file[k]), F_OK) != 0)
			continue;
		say("delete", esp_abs(be_loader_file[k]));
		if (!opt.dry_run)
			delete_durable(be_loader_file[k]);
	}
	rmdir_if_empty("EFI/spine");
	free(fb);
	free(saved);
	return 0;
}

/* ---- status -------------------------------------------------------------------- */

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static char booted_slot(void)
{
	uint8_t *c;
	size_t n;
	char slot = 0;

	if (slurp(opt.cmdline, 65536, &c, &n) != 0)
		return 0;
	for (size_t i = 0; i + 13 <= n; i++)
		if ((i == 0 || c[i - 1] == ' ') && memcmp(c + i, "spine.slot=", 11) == 0 &&
		    (c[i + 11] == 'a' || c[i + 11] == 'b') &&
		    (i + 12 == n || c[i + 12] == ' ' || c[i + 12] == '\n'))
			slot = (char)c[i + 11];
	free(c);
	return slot;
}

struct slot_status {
	bool present, verifies, has_state;
	uint32_t version;
	char why[192];
	struct spine_state st;
};

static void slot_status(const struct loader *l, bool have_loader, int s, struct slot_status *ss)
{
	char dir[8192], var[SPINE_STATE_NAME_LEN];
	uint8_t *sig, *conf, id[SPINE_STATE_DIGEST_LEN];
	size_t sl, cl;

	memset(ss, 0, sizeof(*ss));
	snprintf(dir, sizeof(dir), "%s/spine/%c", esp_root, 'a' + s);
	if (slurp(esp_abs(plan_slot_path(s, PF_SIG)), SPINE_CAP_SIG, &sig, &sl) != 0) {
		snprintf(ss->why, sizeof(ss->why), "no SHA512.sig");
		return;
	}
	ss->present = true;
	if (slurp(esp_abs(plan_slot_path(s, PF_CONF)), SPINE_CAP_CONF, &conf, &cl) == 0) {
		struct spine_conf c;

		if (spine_conf_parse(conf, cl, &c) == SPINE_CONF_OK)
			ss->version = c.version;
		free(conf);
	}
	if (have_loader) {
		struct host_ctx hc = {{0}};
		struct spine_ops ops = host_ops(&hc, l);
		struct spine_slot sp;

		ss->verifies = slot_check(&ops, &hc, s, dir, &sp, ss->why, sizeof(ss->why));
		if (ss->verifies)
			spine_slot_release(&ops, &sp);
	} else {
		snprintf(ss->why, sizeof(ss->why), "no loader to check it against");
	}
	spine_manifest_id(sig, sl, id);
	spine_state_name((char)('a' + s), id, var);
	free(sig);
	if (!opt.no_variables) {
		uint8_t *raw;
		size_t len;
		uint32_t attrs;

		if (var_read(var, SPINE_GUID, &raw, &len, &attrs) == 0) {
			ss->has_state =
			        spine_state_decode(raw, len, attrs, &ss->st) == SPINE_STATE_OK;
			free(raw);
		}
	}
}

static int cmd_status(void)
{
	struct esp e = {0};
	struct loader l = {0};
	struct slot_status ss[2];
	const char *why = "";
	bool have_loader, vars;
	char slot = booted_slot();
	uint16_t order[ORDER_MAX];
	size_t norder = 0;
	long num = -1, free_num, pos = -1, current = -1;
	int secure = -1;
	uint8_t *fb = NULL;
	size_t fb_len = 0;
	enum plan_fallback fbs;

	long in_entry = -1, other_entry = -1, next = -1;
	int u = 0;
	bool other;

	find_esp(&e);
	vars = !opt.no_variables && access(opt.efivars, F_OK) == 0;
	if (vars) {
		u = loader_in_use(&e, true, &in_entry);
		other_entry = find_entry_path(&e, be_loader_efi[1 - u], &free_num);
		next = boot_next();
	}
	other = access(esp_abs(be_loader_file[1 - u]), F_OK) == 0;
	have_loader = slurp(esp_abs(be_loader_file[u]), LOADER_CAP, &l.bytes, &l.len) == 0 &&
	              loader_keys(l.bytes, l.len, l.keys, &l.nkeys, &why) == 0;
	for (int s = 0; s < 2; s++)
		slot_status(&l, have_loader, s, &ss[s]);
	fbs = fallback_state(have_loader ? &l : NULL, &fb, &fb_len);
	if (vars) {
		uint8_t *raw;
		size_t len;
		uint32_t attrs;

		num = find_entry(&e, &free_num);
		norder = order_read(order);
		if (num >= 0)
			pos = lo_order_index(order, norder, (uint16_t)num);
		if (var_read("BootCurrent", EFI_GLOBAL_GUID, &raw, &len, &attrs) == 0) {
			if (len == 2)
				current = raw[0] | raw[1] << 8;
			free(raw);
		}
		if (var_read("SecureBoot", EFI_GLOBAL_GUID, &raw, &len, &attrs) == 0) {
			if (len == 1)
				secure = raw[0];
			free(raw);
		}
	}
	static const char *const fbn[] = {"absent", "ours", "ours (another build)", "foreign"};
	if (opt.json) {
		printf("{\"esp\": ");
		json_str(e.path);
		printf(", \"partuuid\": \"%s\", \"booted_slot\": ", e.partuuid);
		if (slot)
			printf("\"%c\"", slot);
		else
			printf("null");
		printf(", \"loader\": {\"present\": %s, \"path\": \"%s\", \"keys\": [",
		       have_loader ? "true" : "false", be_loader_file[u]);
		for (size_t k = 0; k < l.nkeys; k++) {
			printf("%s\"", k ? ", " : "");
			for (int j = 0; j < 8; j++)
				printf("%02x", l.keys[k].keynum[j]);
			printf("\"");
		}
		printf("]}, \"other_loader\": ");
		if (other)
			printf("{\"path\": \"%s\", \"boot_next\": %s}", be_loader_file[1 - u],
			       other_entry >= 0 && next == other_entry ? "true" : "false");
		else
			printf("null");
		printf(", \"fallback\": \"%s\", \"slots\": {", fbn[fbs]);
		for (int s = 0; s < 2; s++) {
			printf("%s\"%c\": {\"present\": %s, \"version\": %u, \"verifies\": %s, ",
			       s ? ", " : "", 'a' + s, ss[s].present ? "true" : "false",
			       ss[s].version, ss[s].verifies ? "true" : "false");
			printf("\"refused\": ");
			if (ss[s].verifies)
				printf("null");
			else
				json_str(ss[s].why);
			if (ss[s].has_state)
				printf(", \"tries_left\": %u, \"good\": %s}", ss[s].st.tries_left,
				       ss[s].st.good ? "true" : "false");
			else
				printf(", \"tries_left\": null, \"good\": null}");
		}
		printf("}, \"variables\": %s", vars ? "true" : "false");
		if (num >= 0)
			printf(", \"entry\": \"Boot%04lX\", \"entry_position\": %ld", num, pos);
		else
			printf(", \"entry\": null, \"entry_position\": null");
		if (current >= 0)
			printf(", \"boot_current\": \"Boot%04lX\"", current);
		else
			printf(", \"boot_current\": null");
		printf(", \"secure_boot\": %s}\n", secure < 0 ? "null" : secure ? "true" : "false");
	} else {
		printf("ESP: %s (%s, partition %u, %s)\n", e.path, e.device, e.hd.part, e.partuuid);
		printf("booted slot: %s\n", slot == 'a' ? "a" : slot == 'b' ? "b" : "unknown");
		if (have_loader) {
			printf("loader: %s, trusts key", esp_abs(be_loader_file[u]));
			for (size_t k = 0; k < l.nkeys; k++) {
				printf("%s", k ? ", " : " ");
				for (int j = 0; j < 8; j++)
					printf("%02x", l.keys[k].keynum[j]);
			}
			printf("\n");
		} else {
			printf("loader: not installed\n");
		}
		if (other) {
			printf("other loader: %s", esp_abs(be_loader_file[1 - u]));
			if (other_entry >= 0)
				printf(", Boot%04lX%s", other_entry,
				       next == other_entry
				               ? ", starts once at the next boot (BootNext)"
				               : "");
			printf("\n");
		}
		printf("fallback %s: %s\n", PLAN_FALLBACK_PATH, fbn[fbs]);
		for (int s = 0; s < 2; s++) {
			printf("slot %c: ", 'a' + s);
			if (!ss[s].present) {
				printf("absent\n");
				continue;
			}
			printf("version %u, %s", ss[s].version,
			       ss[s].verifies ? "verifies" : "refused: ");
			if (!ss[s].verifies)
				printf("%s", ss[s].why);
			if (ss[s].has_state)
				printf(", %s, %u tries left", ss[s].st.good ? "good" : "not good",
				       ss[s].st.tries_left);
			else
				printf(", not booted yet");
			printf("\n");
		}
		if (!vars) {
			printf("boot entry: variables not read\n");
		} else {
			if (num >= 0)
				printf("boot entry: Boot%04lX, %s in BootOrder\n", num,
				       pos < 0    ? "not"
				       : pos == 0 ? "first"
				                  : "not first");
			else
				printf("boot entry: none\n");
			if (current >= 0)
				printf("BootCurrent: Boot%04lX\n", current);
			printf("Secure Boot: %s\n", secure < 0 ? "unknown" : secure ? "on" : "off");
		}
	}
	free(l.bytes);
	free(fb);
	return 0;
}

/* ---- main ---------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	enum {
		O_ESP = 256,
		O_EFIVARS,
		O_SLOT_A,
		O_SLOT_B,
		O_LOADER,
		O_NOVARS,
		O_TAKE,
		O_JSON,
		O_CMDLINE
	};
	static const struct option lo[] = {
	        {"esp-path", required_argument, 0, O_ESP},
	        {"efivars", required_argument, 0, O_EFIVARS},
	        {"dry-run", no_argument, 0, 'n'},
	        {"slot-a", required_argument, 0, O_SLOT_A},
	        {"slot-b", required_argument, 0, O_SLOT_B},
	        {"loader", required_argument, 0, O_LOADER},
	        {"no-variables", no_argument, 0, O_NOVARS},
	        {"take-fallback", no_argument, 0, O_TAKE},
	        {"json", no_argument, 0, O_JSON},
	        {"cmdline", required_argument, 0, O_CMDLINE},
	        {"help", no_argument, 0, 'h'},
	        {0, 0, 0, 0},
	};
	const char *cmd;
	int c;

	/* Options may come before or after the command. */
	while ((c = getopt_long(argc, argv, "nh", lo, NULL)) != -1) {
		switch (c) {
		case O_ESP:
			opt.esp_path = optarg;
			break;
		case O_EFIVARS:
			opt.efivars = optarg;
			break;
		case 'n':
			opt.dry_run = true;
			break;
		case O_SLOT_A:
			opt.slot_dir[0] = optarg;
			break;
		case O_SLOT_B:
			opt.slot_dir[1] = optarg;
			break;
		case O_LOADER:
			opt.loader = optarg;
			opt.loader_given = true;
			break;
		case O_NOVARS:
			opt.no_variables = true;
			break;
		case O_TAKE:
			opt.take_fallback = true;
			break;
		case O_JSON:
			opt.json = true;
			break;
		case O_CMDLINE:
			opt.cmdline = optarg;
			break;
		case 'h':
			fputs(USAGE, stdout);
			return 0;
		default:
			fputs(USAGE, stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fputs(USAGE, stderr);
		return 2;
	}
	cmd = argv[optind];
	/* update takes the slot folder (or --loader FILE); every other
	 * command nothing. */
	if (optind + 1 + (strcmp(cmd, "update") == 0 && !opt.loader_given) != argc) {
		fputs(USAGE, stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(cmd, "install") == 0)
		return cmd_install();
	if (strcmp(cmd, "update") == 0 && opt.loader_given)
		return cmd_update_loader(opt.loader);
	if (strcmp(cmd, "update") == 0)
		return cmd_update(argv[optind + 1]);
	if (strcmp(cmd, "status") == 0)
		return cmd_status();
	if (strcmp(cmd, "remove") == 0)
		return cmd_remove();
	fprintf(stderr, "spinectl: unknown command %s\n", cmd);
	fputs(USAGE, stderr);
	return 2;
}
