/* pic: the 8259A pair, remapped to vectors 32-47. */
#ifndef CLASSIC_PIC_H
#define CLASSIC_PIC_H

void pic_init(void);
void pic_unmask(int irq);
void pic_eoi(int irq);
int pic_spurious(int irq);

extern unsigned char pic_mask_master, pic_mask_slave;

#endif
