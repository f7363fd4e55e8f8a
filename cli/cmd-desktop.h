/* `nook desktop install|ls|remove|sync`: menu entries that go through nook. */
#pragma once

int cmd_desktop(int argc, char **argv);
