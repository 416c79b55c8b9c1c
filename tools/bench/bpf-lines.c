// SPDX-License-Identifier: GPL-2.0
/*
 * bpf-lines: the source line of every address of a loaded BPF program's
 * JIT'd code, from the kernel's own records (struct bpf_prog_info: the
 * functions' kernel symbols and lengths, the line info and the JIT address
 * of each line, the program's BTF for the names and the text).  With the
 * IPs of a CPU profile (perf script -F ip), profile.py puts each sample
 * on its function and source line (xdp-profile.sh): where the
 * program's time goes, without a disassembler.
 *
 *   bpf-lines NAME_PREFIX      every loaded program whose name starts so
 *   bpf-lines ID               the loaded program of that id
 * Prints CSV, one row per line record, in address order per function:
 *   prog_id,func,func_start,func_len,addr,file,line,text
 * (func_start and addr in hex, as perf prints IPs; file without its
 * directories; text with its commas turned to semicolons).  Exits 1 when
 * no such program is loaded or its records cannot be read.
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The arrays of one program's bpf_prog_info, filled by a second call. */
struct prog_rec {
	struct bpf_prog_info info;
	uint64_t *ksyms;
	uint32_t *func_lens;
	struct bpf_line_info *lines;
	uint64_t *jited_lines;
	struct bpf_func_info *funcs;
};

static void prog_rec_free(struct prog_rec *r)
{
	free(r->ksyms);
	free(r->func_lens);
	free(r->lines);
	free(r->jited_lines);
	free(r->funcs);
}

/*
 * Info of fd with its arrays, sized by head (fd's info as a first call
 * gave it); 0 or -1.
 */
static int prog_rec_get(int fd, const struct bpf_prog_info *head,
			struct prog_rec *r)
{
	uint32_t len;

	memset(r, 0, sizeof(*r));
	if (!head->nr_jited_ksyms || !head->nr_line_info ||
	    head->nr_jited_line_info != head->nr_line_info ||
	    head->line_info_rec_size != sizeof(struct bpf_line_info) ||
	    head->func_info_rec_size != sizeof(struct bpf_func_info))
		return -1;
	r->ksyms = calloc(head->nr_jited_ksyms, sizeof(*r->ksyms));
	r->func_lens = calloc(head->nr_jited_func_lens, sizeof(*r->func_lens));
	r->lines = calloc(head->nr_line_info, sizeof(*r->lines));
	r->jited_lines = calloc(head->nr_jited_line_info,
				sizeof(*r->jited_lines));
	r->funcs = calloc(head->nr_func_info, sizeof(*r->funcs));
	if (!r->ksyms || !r->func_lens || !r->lines || !r->jited_lines ||
	    !r->funcs)
		return -1;
	r->info.nr_jited_ksyms = head->nr_jited_ksyms;
	r->info.jited_ksyms = (uintptr_t)r->ksyms;
	r->info.nr_jited_func_lens = head->nr_jited_func_lens;
	r->info.jited_func_lens = (uintptr_t)r->func_lens;
	r->info.nr_line_info = head->nr_line_info;
	r->info.line_info_rec_size = sizeof(struct bpf_line_info);
	r->info.line_info = (uintptr_t)r->lines;
	r->info.nr_jited_line_info = head->nr_jited_line_info;
	r->info.jited_line_info_rec_size = sizeof(uint64_t);
	r->info.jited_line_info = (uintptr_t)r->jited_lines;
	r->info.nr_func_info = head->nr_func_info;
	r->info.func_info_rec_size = sizeof(struct bpf_func_info);
	r->info.func_info = (uintptr_t)r->funcs;
	len = sizeof(r->info);
	return bpf_obj_get_info_by_fd(fd, &r->info, &len) ? -1 : 0;
}

/* The name of function k (its func_info's BTF type), or "func<k>". */
static const char *func_name(const struct prog_rec *r, const struct btf *btf,
			     uint32_t k, char *buf, size_t n)
{
	const struct btf_type *t = NULL;
	const char *s = NULL;

	if (k < r->info.nr_func_info)
		t = btf__type_by_id(btf, r->funcs[k].type_id);
	if (t)
		s = btf__name_by_offset(btf, t->name_off);
	if (s && *s)
		return s;
	snprintf(buf, n, "func%u", k);
	return buf;
}

/* s without directories; text with no comma or newline. */
static void put_field(const char *s, int basename)
{
	const char *slash = basename ? strrchr(s, '/') : NULL;

	for (s = slash ? slash + 1 : s; *s; s++)
		putchar(*s == ',' ? ';' : *s == '\n' || *s == '\r' ? ' ' : *s);
}

static void print_prog(const struct prog_rec *r, const struct btf *btf)
{
	uint32_t k, i, f = 0;
	char buf[32];

	for (i = 0; i < r->info.nr_line_info; i++) {
		uint64_t a = r->jited_lines[i];
		const char *file, *text;

		/* the function whose code holds a */
		for (k = 0; k < r->info.nr_jited_ksyms; k++)
			if (r->ksyms[k] <= a &&
			    a < r->ksyms[k] + r->func_lens[k])
				f = k;
		file = btf__name_by_offset(btf, r->lines[i].file_name_off);
		text = btf__name_by_offset(btf, r->lines[i].line_off);
		printf("%u,%s,%llx,%u,%llx,", r->info.id,
		       func_name(r, btf, f, buf, sizeof(buf)),
		       (unsigned long long)r->ksyms[f], r->func_lens[f],
		       (unsigned long long)a);
		put_field(file ? file : "?", 1);
		printf(",%u,", BPF_LINE_INFO_LINE_NUM(r->lines[i].line_col));
		while (text && (*text == ' ' || *text == '\t'))
			text++;
		put_field(text ? text : "", 0);
		putchar('\n');
	}
}

int main(int argc, char **argv)
{
	uint32_t id = 0, want = 0;
	int found = 0, bad = 0;
	char *end;

	if (argc != 2 || !argv[1][0]) {
		fprintf(stderr, "usage: bpf-lines NAME_PREFIX | ID\n");
		return 2;
	}
	want = strtoul(argv[1], &end, 10);
	if (*end)
		want = 0;	/* a name prefix */
	printf("prog_id,func,func_start,func_len,addr,file,line,text\n");
	while (!bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info head = {};
		uint32_t len = sizeof(head);
		struct prog_rec r;
		struct btf *btf;
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &head, &len) ||
		    (want ? head.id != want :
			    strncmp(head.name, argv[1], strlen(argv[1])) != 0)) {
			close(fd);
			continue;
		}
		found++;
		btf = NULL;
		if (prog_rec_get(fd, &head, &r) || !r.info.btf_id ||
		    !(btf = btf__load_from_kernel_by_id(r.info.btf_id))) {
			fprintf(stderr, "bpf-lines: program %u (%s): no line "
				"records (JIT off, or loaded without BTF)\n",
				id, head.name);
			bad++;
		} else {
			print_prog(&r, btf);
		}
		btf__free(btf);
		prog_rec_free(&r);
		close(fd);
	}
	if (!found)
		fprintf(stderr, "bpf-lines: no loaded program %s%s\n",
			want ? "of id " : "named ", argv[1]);
	return found && !bad ? 0 : 1;
}
