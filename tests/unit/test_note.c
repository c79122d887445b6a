/*
 * note: the GNU build ID is found among other notes in a PT_NOTE segment,
 * spelled as readelf -n spells it; an image without one, and notes whose
 * sizes lie (past the segment, wrapping, a descriptor too long to be a
 * build ID, the right type under another name) give none, never a read
 * past the image.  Run one case alone: build/unit/note <name or *glob*>.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "loader/note.h"
#include "tests/unit/loader_image.h"

#define NOTE_SEG 2
#define NOTE_SIZE 0x60

static const uint8_t ID[20] = { 0xc2, 0x25, 0xc7, 0x52, 0x56, 0x93, 0x3f, 0xb8, 0xf6, 0x8a,
                                0x0e, 0x9b, 0x8b, 0x18, 0xfb, 0x09, 0x72, 0xcf, 0x12, 0x97 };

/* Writes a note at *at in the note segment; returns where its descriptor is. */
static size_t put_note(struct img *im, size_t *at, const char *name, uint32_t namesz,
               uint32_t type, const uint8_t *desc, uint32_t descsz)
{
    size_t p = im->seg_off[NOTE_SEG] + *at, d;

    img_put32(im, p, namesz);
    img_put32(im, p + 4, descsz);
    img_put32(im, p + 8, type);
    memcpy(im->data + p + 12, name, strlen(name) + 1);
    d = p + 12 + ((namesz + 3) & ~3u);
    if (desc)
        memcpy(im->data + d, desc, descsz);
    *at = d - im->seg_off[NOTE_SEG] + ((descsz + 3) & ~3u);
    return d;
}

/* The default image and a PT_NOTE segment of NOTE_SIZE zero bytes. */
static void build(struct img *im)
{
    struct img_spec s = img_default_spec();

    s.segs[NOTE_SEG] = (struct img_seg){ IMG_PT_NOTE, IMG_PF_R, 0, 0, NOTE_SIZE, NOTE_SIZE };
    s.nsegs = 3;
    img_build(&s, im);
    memset(im->data + im->seg_off[NOTE_SEG], 0, NOTE_SIZE);
}

static size_t build_id_of(struct img *im, const uint8_t **id)
{
    struct elf32_image elf;

    img_seal(im);
    assert_int_equal(elf32_open(&elf, im->data, im->size), ELF32_OK);
    return elf32_build_id(&elf, id);
}

static void found_after_other_notes(void **state)
{
    struct img im;
    size_t at = 0, d;
    const uint8_t *id;
    char hex[ELF32_BUILD_ID_MAX * 2 + 1];
    static const uint8_t abi[16] = { 0 };

    (void)state;
    build(&im);
    put_note(&im, &at, "Xen", 4, 3, ID, 4);          /* type 3, but not GNU's */
    put_note(&im, &at, "GNU", 4, 1, abi, 16);        /* NT_GNU_ABI_TAG */
    d = put_note(&im, &at, "GNU", 4, 3, ID, 20);
    assert_int_equal(build_id_of(&im, &id), 20);
    assert_ptr_equal(id, im.data + d);
    elf32_build_id_hex(id, 20, hex);
    assert_string_equal(hex, "c225c75256933fb8f68a0e9b8b18fb0972cf1297");
    img_free(&im);
}

static void none_without_a_note_segment(void **state)
{
    struct img im;
    struct img_spec s = img_default_spec();
    struct elf32_image elf;
    const uint8_t *id = ID;

    (void)state;
    img_build(&s, &im);
    img_seal(&im);
    assert_int_equal(elf32_open(&elf, im.data, im.size), ELF32_OK);
    assert_int_equal(elf32_build_id(&elf, &id), 0);
    assert_null(id);
    img_free(&im);
}

/* A liar: each case writes one note that must not be taken for a build ID. */
struct liar {
    const char *name;
    uint32_t namesz, type, descsz;
};

static void refuses(const struct liar *l)
{
    struct img im;
    size_t at = 0;
    const uint8_t *id;

    build(&im);
    put_note(&im, &at, l->name, l->namesz, l->type, l->descsz <= 20 ? ID : 0, l->descsz);
    assert_int_equal(build_id_of(&im, &id), 0);
    img_free(&im);
}

static void desc_past_the_segment(void **state)
{
    (void)state;
    refuses(&(struct liar){ "GNU", 4, 3, NOTE_SIZE - 12 });
}

static void desc_size_wraps(void **state)
{
    (void)state;
    refuses(&(struct liar){ "GNU", 4, 3, 0xfffffffc });
}

static void name_size_wraps(void **state)
{
    (void)state;
    refuses(&(struct liar){ "GNU", 0xfffffffd, 3, 20 });
}

static void empty_desc(void **state)
{
    (void)state;
    refuses(&(struct liar){ "GNU", 4, 3, 0 });
}

static void too_long_for_a_build_id(void **state)
{
    (void)state;
    refuses(&(struct liar){ "GNU", 4, 3, ELF32_BUILD_ID_MAX + 4 });
}

static void another_owner(void **state)
{
    (void)state;
    refuses(&(struct liar){ "GNX", 4, 3, 20 });
}

static void unterminated_name(void **state)
{
    (void)state;
    refuses(&(struct liar){ "GNU", 3, 3, 20 });
}

/* A note segment whose file bytes end early is refused by elf32_open
 * already (ELF32_ETRUNC_SEGMENT): the notes never see it. */
static void truncated_note_segment_never_opens(void **state)
{
    struct img im;
    struct elf32_image elf;

    (void)state;
    build(&im);
    img_put32(&im, img_ph(&im, NOTE_SEG, IMG_P_FILESZ), (uint32_t)(im.size + 1));
    img_seal(&im);
    assert_int_equal(elf32_open(&elf, im.data, im.size), ELF32_ETRUNC_SEGMENT);
    img_free(&im);
}

int main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(found_after_other_notes),
        cmocka_unit_test(none_without_a_note_segment),
        cmocka_unit_test(desc_past_the_segment),
        cmocka_unit_test(desc_size_wraps),
        cmocka_unit_test(name_size_wraps),
        cmocka_unit_test(empty_desc),
        cmocka_unit_test(too_long_for_a_build_id),
        cmocka_unit_test(another_owner),
        cmocka_unit_test(unterminated_name),
        cmocka_unit_test(truncated_note_segment_never_opens),
    };

    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, 0, 0);
}
