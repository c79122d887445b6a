#include "kernel/heap.h"

#define PAGE 4096ul
#define SLAB_MAGIC  0x51ab51ab51ab51abull
#define LARGE_MAGIC 0x1a26e1a26e1a26e0ull
#define MIN_SHIFT 5

/* A slab page starts with this header; objects follow, all one class. */
struct slab {
    uint64_t magic;
    uint32_t cls, size, nobjs, inuse;
    uint64_t allocated[2];          /* one bit per object: catches double frees */
    uint32_t req[128];              /* requested size of each live object */
    struct list link;               /* in h->partial[cls] while it has room */
    void *free;                     /* free objects, linked through their first word */
};

struct large {
    uint64_t magic;
    size_t pages, size;
};
#define LARGE_OFFSET 64

static size_t obj_size(unsigned cls) { return (size_t)1 << (cls + MIN_SHIFT); }
static size_t first_obj(size_t size) { return (sizeof(struct slab) + size - 1) / size * size; }

void heap_init(struct heap *h, void *(*get)(size_t), void (*put)(void *, size_t),
               void (*report)(enum heap_error, const void *))
{
    *h = (struct heap){ .get_pages = get, .put_pages = put, .report = report };
    for (unsigned i = 0; i < HEAP_CLASSES; i++)
        list_init(&h->partial[i]);
}

static void poison(void *p, size_t n)
{
    unsigned char *b = p;
    for (size_t i = sizeof(void *); i < n; i++) b[i] = HEAP_POISON;
}

static bool poison_intact(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = sizeof(void *); i < n; i++)
        if (b[i] != HEAP_POISON) return false;
    return true;
}

static struct slab *slab_new(struct heap *h, unsigned cls)
{
    struct slab *s = h->get_pages(1);
    if (!s)
        return 0;
    size_t size = obj_size(cls);
    *s = (struct slab){ .magic = SLAB_MAGIC, .cls = cls, .size = size };
    s->nobjs = (PAGE - first_obj(size)) / size;
    for (uint32_t i = s->nobjs; i-- > 0;) {
        void **obj = (void **)((char *)s + first_obj(size) + i * size);
        poison(obj, size);
        *obj = s->free;
        s->free = obj;
    }
    list_push_back(&h->partial[cls], &s->link);
    h->pages_held++;
    return s;
}

static unsigned obj_index(const struct slab *s, const void *p)
{
    return ((const char *)p - (const char *)s - first_obj(s->size)) / s->size;
}

static void *slab_alloc(struct heap *h, unsigned cls, size_t req)
{
    struct slab *s = list_empty(&h->partial[cls]) ? slab_new(h, cls)
                   : container_of(h->partial[cls].next, struct slab, link);
    if (!s)
        return 0;
    void **obj = s->free;
    if (!poison_intact(obj, s->size))
        h->report(HEAP_POISON_BROKEN, obj);      /* written after it was freed */
    s->free = *obj;
    unsigned i = obj_index(s, obj);
    s->allocated[i / 64] |= 1ull << (i % 64);
    s->req[i] = req;
    if (++s->inuse == s->nobjs)
        list_remove(&s->link);
    return obj;
}

static void *large_alloc(struct heap *h, size_t size)
{
    size_t pages = (size + LARGE_OFFSET + PAGE - 1) / PAGE;
    struct large *l = h->get_pages(pages);
    if (!l)
        return 0;
    *l = (struct large){ LARGE_MAGIC, pages, size };
    h->pages_held += pages;
    return (char *)l + LARGE_OFFSET;
}

void *heap_alloc(struct heap *h, size_t size)
{
    if (size == 0 || size > (1ul << 40))
        return 0;
    unsigned cls = 0;
    while (cls < HEAP_CLASSES && obj_size(cls) < size) cls++;
    void *p = cls < HEAP_CLASSES ? slab_alloc(h, cls, size) : large_alloc(h, size);
    if (p) {
        h->bytes_live += size;
        h->allocs++;
    }
    return p;
}

static void slab_free(struct heap *h, struct slab *s, void *p)
{
    if (((char *)p - (char *)s) < (long)first_obj(s->size) ||
        ((char *)p - (char *)s - first_obj(s->size)) % s->size ||
        obj_index(s, p) >= s->nobjs) {
        h->report(HEAP_BAD_POINTER, p);
        return;
    }
    unsigned i = obj_index(s, p);
    if (!(s->allocated[i / 64] >> (i % 64) & 1)) {
        h->report(HEAP_DOUBLE_FREE, p);
        return;
    }
    s->allocated[i / 64] &= ~(1ull << (i % 64));
    h->bytes_live -= s->req[i];
    poison(p, s->size);
    *(void **)p = s->free;
    s->free = p;
    if (s->inuse-- == s->nobjs)
        list_push_back(&h->partial[s->cls], &s->link);
    if (s->inuse == 0) {                         /* give the page back: exact accounting */
        list_remove(&s->link);
        s->magic = 0;
        h->put_pages(s, 1);
        h->pages_held--;
    }
}

void heap_free(struct heap *h, void *p)
{
    if (!p)
        return;
    uintptr_t page = (uintptr_t)p & ~(PAGE - 1);
    if ((uintptr_t)p - page == LARGE_OFFSET && ((struct large *)page)->magic == LARGE_MAGIC) {
        struct large *l = (struct large *)page;
        l->magic = 0;
        h->bytes_live -= l->size;
        h->pages_held -= l->pages;
        h->frees++;
        h->put_pages(l, l->pages);
        return;
    }
    struct slab *s = (struct slab *)page;
    if (s->magic != SLAB_MAGIC) {
        h->report((uintptr_t)p - page == LARGE_OFFSET ? HEAP_DOUBLE_FREE : HEAP_BAD_POINTER, p);
        return;
    }
    h->frees++;
    slab_free(h, s, p);
}

size_t heap_size_of(const void *p)
{
    uintptr_t page = (uintptr_t)p & ~(PAGE - 1);
    if (((const struct large *)page)->magic == LARGE_MAGIC)
        return ((const struct large *)page)->size;
    const struct slab *s = (const struct slab *)page;
    return s->req[obj_index(s, p)];
}
