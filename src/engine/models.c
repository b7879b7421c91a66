/* engine/models.c: the table of models built into this library. Adding a
 * model is one file in src/models/ and one line here. */
#include <string.h>
#include "engine/engine.h"

static const sl_model *const models[] = {
    &sl__model_iterative,
    &sl__model_fork,
    &sl__model_threads,
    &sl__model_select,
    &sl__model_poll,
#ifdef __linux__
    &sl__model_epoll,
#endif
    NULL,
};

const sl_model *const *sl_models(void)
{
    return models;
}

const sl_model *sl_model_find(const char *name)
{
    for (size_t i = 0; models[i] != NULL; i++)
        if (strcmp(models[i]->name, name) == 0)
            return models[i];
    return NULL;
}

const sl_model *sl_model_default(void)
{
    const sl_model *m = sl_model_find("epoll");
    if (m == NULL)
        m = sl_model_find("poll");
    return m != NULL ? m : models[0];
}
