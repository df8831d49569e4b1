/*
 * persona-hello: the launch bench's entry. Its first act is one byte on
 * stdout, so the bench can time "launch decision -> entry running" by the
 * byte's arrival, for bay0 and for bwrap alike.
 */
#include <unistd.h>

int main(void)
{
	return write(1, "!", 1) == 1 ? 0 : 1;
}
