/* Intrusive doubly linked lists (circular, with a head node). */
#pragma once
#include <stddef.h>
#include <stdbool.h>

struct list { struct list *next, *prev; };

#define LIST_INIT(name) { &(name), &(name) }
#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))
#define list_entry container_of
#define list_for_each(pos, head) for (pos = (head)->next; pos != (head); pos = pos->next)

static inline void list_init(struct list *l) { l->next = l->prev = l; }
static inline bool list_empty(const struct list *l) { return l->next == l; }

static inline void list_insert_between(struct list *n, struct list *prev, struct list *next)
{
    n->prev = prev; n->next = next;
    prev->next = n; next->prev = n;
}
static inline void list_push_back(struct list *head, struct list *n) { list_insert_between(n, head->prev, head); }
static inline void list_push_front(struct list *head, struct list *n) { list_insert_between(n, head, head->next); }
static inline void list_remove(struct list *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->next = n->prev = n;
}
static inline struct list *list_pop_front(struct list *head)
{
    if (list_empty(head)) return NULL;
    struct list *n = head->next;
    list_remove(n);
    return n;
}
/* Move every node of src to the tail of dst. */
static inline void list_splice_back(struct list *dst, struct list *src)
{
    if (list_empty(src)) return;
    struct list *first = src->next, *last = src->prev;
    first->prev = dst->prev; dst->prev->next = first;
    last->next = dst; dst->prev = last;
    list_init(src);
}
