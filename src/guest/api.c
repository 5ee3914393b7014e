/*
 * api.c — the handler API, installed as globals of the handlers' QuickJS context: the
 * $state proxy (each key read, written, deleted or tested goes to the host on its own),
 * $emit, $view, $ext (calls that suspend the engine until the host answers), $log and
 * console, a Math.random seeded per execution, and the throwing stand-ins for eval and
 * the Function constructors. Everything is written in C so that a handler that patches
 * prototypes cannot change how the API talks to the host.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"

/* Objects captured at install time (the handler cannot replace them). */
static JSValue proxy_ctor;
static JSValue eval_error_ctor;

/* ---------------------------------------------------------------- replies */

JSValue nxg_read_reply_value(JSContext *ctx, uint32_t len)
{
    if (len == 0)
        return JS_ThrowTypeError(ctx, "malformed value from the host: empty");
    uint8_t *data = malloc(len);
    if (!data) {
        nxg_g.oom = true;
        return JS_ThrowOutOfMemory(ctx);
    }
    nxg_host_reply_read(data, len);
    JSValue v = nxg_decode(ctx, data, len);
    free(data);
    return v;
}

/* Copies a string property of an error reply onto the error object. */
static void copy_reply_field(JSContext *ctx, JSValueConst reply, JSValueConst err,
                             const char *name)
{
    JSValue v = JS_GetPropertyStr(ctx, reply, name);
    if (JS_IsString(v))
        JS_DefinePropertyValueStr(ctx, err, name, v, JS_PROP_WRITABLE | JS_PROP_CONFIGURABLE);
    else
        JS_FreeValue(ctx, v);
}

/* Builds the Error value described by an error reply (len bytes pending). */
static JSValue reply_error_value(JSContext *ctx, uint32_t len, const char *what)
{
    JSValue reply = len ? nxg_read_reply_value(ctx, len) : JS_UNDEFINED;
    if (JS_IsException(reply))
        return JS_GetException(ctx);
    JSValue err = JS_NewError(ctx);
    if (JS_IsException(err)) {
        JS_FreeValue(ctx, reply);
        return JS_GetException(ctx);
    }
    JSValue msg = JS_IsObject(reply) ? JS_GetPropertyStr(ctx, reply, "message") : JS_UNDEFINED;
    if (!JS_IsString(msg)) {
        JS_FreeValue(ctx, msg);
        msg = JS_NewString(ctx, what);
    }
    JS_DefinePropertyValueStr(ctx, err, "message", msg, JS_PROP_WRITABLE | JS_PROP_CONFIGURABLE);
    if (JS_IsObject(reply)) {
        copy_reply_field(ctx, reply, err, "name");
        copy_reply_field(ctx, reply, err, "code");
    }
    JS_FreeValue(ctx, reply);
    return err;
}

JSValue nxg_throw_reply_error(JSContext *ctx, uint32_t len, const char *what)
{
    return JS_Throw(ctx, reply_error_value(ctx, len, what));
}

/* Handles the reply word of an import whose success carries no value: JS_UNDEFINED on
 * success, JS_EXCEPTION (thrown) on an error reply. */
static JSValue check_plain_reply(JSContext *ctx, int64_t word, const char *what)
{
    int32_t status = NXG_REPLY_STATUS(word);
    uint32_t len = NXG_REPLY_LEN(word);
    if (status == NXG_REPLY_ERROR)
        return nxg_throw_reply_error(ctx, len, what);
    if (status != NXG_REPLY_OK && status != NXG_REPLY_ABSENT)
        return JS_ThrowInternalError(ctx, "host answered %s with reply status %d", what,
                                     (int)status);
    if (len) {
        /* an unexpected payload: consume it so the next reply starts clean */
        void *skip = malloc(len);
        if (skip) {
            nxg_host_reply_read(skip, len);
            free(skip);
        }
    }
    return JS_UNDEFINED;
}

/* ---------------------------------------------------------------- helpers */

/* A UTF-8 copy of a string argument; NULL (TypeError thrown) when it is not a string. */
static const char *string_arg(JSContext *ctx, JSValueConst v, size_t *len, const char *what)
{
    if (!JS_IsString(v)) {
        JS_ThrowTypeError(ctx, "%s must be a string", what);
        return NULL;
    }
    return JS_ToCStringLen(ctx, len, v);
}

/* Encodes v into a fresh buffer; false with an exception pending. */
static bool encode_arg(JSContext *ctx, nxg_buf *buf, JSValueConst v)
{
    memset(buf, 0, sizeof(*buf));
    if (nxg_encode(ctx, buf, v) < 0) {
        nxg_buf_free(buf);
        return false;
    }
    return true;
}

/* Encodes argv[0..argc) as one array; false with an exception pending. */
static bool encode_args_array(JSContext *ctx, nxg_buf *buf, int argc, JSValueConst *argv)
{
    JSValue arr = JS_NewArray(ctx);
    if (JS_IsException(arr))
        return false;
    for (int i = 0; i < argc; i++) {
        if (JS_DefinePropertyValueUint32(ctx, arr, (uint32_t)i, JS_DupValue(ctx, argv[i]),
                                         JS_PROP_C_W_E) < 0) {
            JS_FreeValue(ctx, arr);
            return false;
        }
    }
    bool ok = encode_arg(ctx, buf, arr);
    JS_FreeValue(ctx, arr);
    return ok;
}

static bool is_skipped_value(JSContext *ctx, JSValueConst v)
{
    return JS_IsUndefined(v) || JS_IsSymbol(v) || JS_IsFunction(ctx, v);
}

static JSValue new_proxy(JSContext *ctx, JSValue target, JSValue handler)
{
    JSValue args[2] = {target, handler};
    JSValue p = JS_CallConstructor(ctx, proxy_ctor, 2, args);
    JS_FreeValue(ctx, target);
    JS_FreeValue(ctx, handler);
    return p;
}

/* ---------------------------------------------------------------- $state */

/* The key of a proxy trap as UTF-8, or NULL when it is a symbol (no exception). */
static const char *state_key(JSContext *ctx, JSValueConst key, size_t *len)
{
    if (JS_IsSymbol(key))
        return NULL;
    return JS_ToCStringLen(ctx, len, key);
}

/* get(target, key): the host's value (a fresh copy), or undefined. */
static JSValue state_get(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    (void)this_val;
    (void)argc;
    size_t len;
    const char *key = state_key(ctx, argv[1], &len);
    if (!key)
        return JS_IsSymbol(argv[1]) ? JS_UNDEFINED : JS_EXCEPTION;
    int64_t word = nxg_host_state_get(key, (uint32_t)len);
    JS_FreeCString(ctx, key);
    int32_t status = NXG_REPLY_STATUS(word);
    if (status == NXG_REPLY_OK)
        return nxg_read_reply_value(ctx, NXG_REPLY_LEN(word));
    if (status == NXG_REPLY_ABSENT)
        return JS_UNDEFINED;
    return check_plain_reply(ctx, word, "$state read");
}

/* Writes key = value on the host; a value JSON would drop (undefined, function,
 * symbol) deletes the key. Returns 0 or -1 with an exception pending. */
static int state_write(JSContext *ctx, JSValueConst key_val, JSValueConst value)
{
    if (JS_IsSymbol(key_val)) {
        JS_ThrowTypeError(ctx, "$state keys must be strings");
        return -1;
    }
    size_t len;
    const char *key = JS_ToCStringLen(ctx, &len, key_val);
    if (!key)
        return -1;
    int64_t word;
    if (is_skipped_value(ctx, value)) {
        word = nxg_host_state_delete(key, (uint32_t)len);
    } else {
        nxg_buf buf;
        if (!encode_arg(ctx, &buf, value)) {
            JS_FreeCString(ctx, key);
            return -1;
        }
        word = nxg_host_state_set(key, (uint32_t)len, buf.data, (uint32_t)buf.len);
        nxg_buf_free(&buf);
    }
    JS_FreeCString(ctx, key);
    return JS_IsException(check_plain_reply(ctx, word, "$state write")) ? -1 : 0;
}

/* set(target, key, value, receiver) */
static JSValue state_set(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    (void)this_val;
    (void)argc;
    return state_write(ctx, argv[1], argv[2]) < 0 ? JS_EXCEPTION : JS_TRUE;
}

/* defineProperty(target, key, descriptor): a data descriptor writes its value. */
static JSValue state_define(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    (void)this_val;
    (void)argc;
    JSValue getter = JS_GetPropertyStr(ctx, argv[2], "get");
    JSValue setter = JS_GetPropertyStr(ctx, argv[2], "set");
    bool accessor = !JS_IsUndefined(getter) || !JS_IsUndefined(setter);
    JS_FreeValue(ctx, getter);
    JS_FreeValue(ctx, setter);
    if (accessor)
        return JS_ThrowTypeError(ctx, "$state cannot hold accessors");
    JSValue value = JS_GetPropertyStr(ctx, argv[2], "value");
    if (JS_IsException(value))
        return JS_EXCEPTION;
    int r = state_write(ctx, argv[1], value);
    JS_FreeValue(ctx, value);
    return r < 0 ? JS_EXCEPTION : JS_TRUE;
}

/* deleteProperty(target, key) */
static JSValue state_delete(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    (void)this_val;
    (void)argc;
    size_t len;
    const char *key = state_key(ctx, argv[1], &len);
    if (!key)
        return JS_IsSymbol(argv[1]) ? JS_TRUE : JS_EXCEPTION;
    int64_t word = nxg_host_state_delete(key, (uint32_t)len);
    JS_FreeCString(ctx, key);
    return JS_IsException(check_plain_reply(ctx, word, "$state delete")) ? JS_EXCEPTION : JS_TRUE;
}

/* has(target, key) */
static JSValue state_has(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    (void)this_val;
    (void)argc;
    size_t len;
    const char *key = state_key(ctx, argv[1], &len);
    if (!key)
        return JS_IsSymbol(argv[1]) ? JS_FALSE : JS_EXCEPTION;
    int64_t word = nxg_host_state_has(key, (uint32_t)len);
    JS_FreeCString(ctx, key);
    int32_t status = NXG_REPLY_STATUS(word);
    if (status == NXG_REPLY_ABSENT)
        return JS_FALSE;
    if (JS_IsException(check_plain_reply(ctx, word, "$state has")))
        return JS_EXCEPTION;
    return JS_TRUE;
}

/* ownKeys(target): the host's key list. */
static JSValue state_keys(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    (void)this_val;
    (void)argc;
    (void)argv;
    int64_t word = nxg_host_state_keys();
    if (NXG_REPLY_STATUS(word) != NXG_REPLY_OK)
        return check_plain_reply(ctx, word, "$state keys");
    JSValue keys = nxg_read_reply_value(ctx, NXG_REPLY_LEN(word));
    if (!JS_IsException(keys) && !JS_IsArray(ctx, keys)) {
        JS_FreeValue(ctx, keys);
        return JS_ThrowTypeError(ctx, "malformed value from the host: state keys");
    }
    return keys;
}

/* getOwnPropertyDescriptor(target, key): a plain writable data property. */
static JSValue state_descriptor(JSContext *ctx, JSValueConst this_val, int argc,
                                JSValueConst *argv)
{
    JSValue value = state_get(ctx, this_val, argc, argv);
    if (JS_IsException(value) || JS_IsUndefined(value))
        return value;
    JSValue desc = JS_NewObject(ctx);
    if (JS_IsException(desc)) {
        JS_FreeValue(ctx, value);
        return desc;
    }
    JS_DefinePropertyValueStr(ctx, desc, "value", value, JS_PROP_C_W_E);
    JS_DefinePropertyValueStr(ctx, desc, "writable", JS_TRUE, JS_PROP_C_W_E);
    JS_DefinePropertyValueStr(ctx, desc, "enumerable", JS_TRUE, JS_PROP_C_W_E);
    JS_DefinePropertyValueStr(ctx, desc, "configurable", JS_TRUE, JS_PROP_C_W_E);
    return desc;
}

/* setPrototypeOf / preventExtensions: refused. */
static JSValue state_refuse(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    (void)ctx;
    (void)this_val;
    (void)argc;
    (void)argv;
    return JS_FALSE;
}

static const JSCFunctionListEntry state_traps[] = {
    JS_CFUNC_DEF("get", 3, state_get),
    JS_CFUNC_DEF("set", 4, state_set),
    JS_CFUNC_DEF("has", 2, state_has),
    JS_CFUNC_DEF("deleteProperty", 2, state_delete),
    JS_CFUNC_DEF("ownKeys", 1, state_keys),
    JS_CFUNC_DEF("getOwnPropertyDescriptor", 2, state_descriptor),
    JS_CFUNC_DEF("defineProperty", 3, state_define),
    JS_CFUNC_DEF("setPrototypeOf", 2, state_refuse),
    JS_CFUNC_DEF("preventExtensions", 1, state_refuse),
};

/* ---------------------------------------------------------------- $emit, $view */

/* $emit(name, payload) */
static JSValue api_emit(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    (void)this_val;
    size_t name_len;
    const char *name = string_arg(ctx, argc > 0 ? argv[0] : JS_UNDEFINED, &name_len,
                                  "$emit: the event name");
    if (!name)
        return JS_EXCEPTION;
    nxg_buf payload;
    if (!encode_arg(ctx, &payload, argc > 1 ? argv[1] : JS_UNDEFINED)) {
        JS_FreeCString(ctx, name);
        return JS_EXCEPTION;
    }
    int64_t word = nxg_host_emit(name, (uint32_t)name_len, payload.data, (uint32_t)payload.len);
    JS_FreeCString(ctx, name);
    nxg_buf_free(&payload);
    return check_plain_reply(ctx, word, "$emit");
}

/* Sends one view command; `args` is encoded as given. */
static JSValue view_send(JSContext *ctx, const char *type, size_t type_len, JSValueConst id_val,
                         JSValueConst args)
{
    size_t id_len;
    const char *id = string_arg(ctx, id_val, &id_len, "$view: the component id");
    if (!id)
        return JS_EXCEPTION;
    nxg_buf buf;
    if (!encode_arg(ctx, &buf, args)) {
        JS_FreeCString(ctx, id);
        return JS_EXCEPTION;
    }
    int64_t word = nxg_host_view(type, (uint32_t)type_len, id, (uint32_t)id_len, buf.data,
                                 (uint32_t)buf.len);
    JS_FreeCString(ctx, id);
    nxg_buf_free(&buf);
    return check_plain_reply(ctx, word, "$view");
}

enum { VIEW_SET_FILTER, VIEW_SCROLL_TO, VIEW_FOCUS };

/* $view.setFilter(id, value), $view.scrollTo(id, position), $view.focus(id) */
static JSValue api_view(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv,
                        int magic)
{
    (void)this_val;
    static const char *const types[] = {"setFilter", "scrollTo", "focus"};
    JSValue id = argc > 0 ? argv[0] : JS_UNDEFINED;
    JSValue args = JS_NewArray(ctx);
    if (JS_IsException(args))
        return args;
    if (magic != VIEW_FOCUS &&
        JS_DefinePropertyValueUint32(ctx, args, 0,
                                     JS_DupValue(ctx, argc > 1 ? argv[1] : JS_UNDEFINED),
                                     JS_PROP_C_W_E) < 0) {
        JS_FreeValue(ctx, args);
        return JS_EXCEPTION;
    }
    JSValue r = view_send(ctx, types[magic], strlen(types[magic]), id, args);
    JS_FreeValue(ctx, args);
    return r;
}

/* $view.command(type, id, args) */
static JSValue api_view_command(JSContext *ctx, JSValueConst this_val, int argc,
                                JSValueConst *argv)
{
    (void)this_val;
    size_t type_len;
    const char *type = string_arg(ctx, argc > 0 ? argv[0] : JS_UNDEFINED, &type_len,
                                  "$view.command: the command type");
    if (!type)
        return JS_EXCEPTION;
    JSValue r = view_send(ctx, type, type_len, argc > 1 ? argv[1] : JS_UNDEFINED,
                          argc > 2 ? argv[2] : JS_UNDEFINED);
    JS_FreeCString(ctx, type);
    return r;
}

static const JSCFunctionListEntry view_funcs[] = {
    JS_CFUNC_MAGIC_DEF("setFilter", 2, api_view, VIEW_SET_FILTER),
    JS_CFUNC_MAGIC_DEF("scrollTo", 2, api_view, VIEW_SCROLL_TO),
    JS_CFUNC_MAGIC_DEF("focus", 1, api_view, VIEW_FOCUS),
    JS_CFUNC_DEF("command", 3, api_view_command),
};

/* ---------------------------------------------------------------- $log, console */

/* Appends a value as log text: strings as they are, errors as their stack (or
 * "Name: message"), other values as JSON, falling back to String(value). */
static void log_append(JSContext *ctx, nxg_buf *line, JSValueConst v)
{
    JSValue text = JS_UNDEFINED;
    if (JS_IsString(v)) {
        text = JS_DupValue(ctx, v);
    } else if (JS_IsObject(v) && !JS_IsFunction(ctx, v)) {
        JSValue stack = JS_GetPropertyStr(ctx, v, "stack");
        if (JS_IsString(stack)) {
            JSValue s = JS_ToString(ctx, v);
            if (!JS_IsException(s)) {
                size_t a, b;
                const char *head = JS_ToCStringLen(ctx, &a, s);
                const char *rest = JS_ToCStringLen(ctx, &b, stack);
                while (rest && b && rest[b - 1] == '\n')
                    b--;
                if (head && rest) {
                    nxg_buf_put(line, head, a);
                    nxg_buf_put(line, "\n", 1);
                    nxg_buf_put(line, rest, b);
                }
                JS_FreeCString(ctx, head);
                JS_FreeCString(ctx, rest);
                JS_FreeValue(ctx, s);
                JS_FreeValue(ctx, stack);
                return;
            }
        }
        JS_FreeValue(ctx, stack);
        text = JS_JSONStringify(ctx, v, JS_UNDEFINED, JS_UNDEFINED);
    }
    if (!JS_IsString(text)) {
        JS_FreeValue(ctx, text);
        JS_FreeValue(ctx, JS_GetException(ctx)); /* e.g. a cycle: fall back to String() */
        if (JS_IsSymbol(v))
            text = JS_NewString(ctx, "Symbol()");
        else
            text = JS_ToString(ctx, v);
    }
    size_t len;
    const char *s = JS_IsException(text) ? NULL : JS_ToCStringLen(ctx, &len, text);
    if (s) {
        nxg_buf_put(line, s, len);
        JS_FreeCString(ctx, s);
    } else {
        JS_FreeValue(ctx, JS_GetException(ctx));
        nxg_buf_put(line, "[unprintable]", 13);
    }
    JS_FreeValue(ctx, text);
}

/* $log(...), $log.LEVEL(...), console.METHOD(...): arguments joined by spaces. */
static JSValue api_log(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv,
                       int level)
{
    (void)this_val;
    nxg_buf line = {0};
    for (int i = 0; i < argc; i++) {
        if (i)
            nxg_buf_put(&line, " ", 1);
        log_append(ctx, &line, argv[i]);
    }
    if (line.failed) {
        nxg_buf_free(&line);
        return JS_ThrowOutOfMemory(ctx);
    }
    int64_t word = nxg_host_log(level, (const char *)line.data, (uint32_t)line.len);
    nxg_buf_free(&line);
    return check_plain_reply(ctx, word, "$log");
}

static const JSCFunctionListEntry log_funcs[] = {
    JS_CFUNC_MAGIC_DEF("debug", 1, api_log, NXG_LOG_DEBUG),
    JS_CFUNC_MAGIC_DEF("info", 1, api_log, NXG_LOG_INFO),
    JS_CFUNC_MAGIC_DEF("warn", 1, api_log, NXG_LOG_WARN),
    JS_CFUNC_MAGIC_DEF("error", 1, api_log, NXG_LOG_ERROR),
};

static const JSCFunctionListEntry console_funcs[] = {
    JS_CFUNC_MAGIC_DEF("log", 1, api_log, NXG_LOG_INFO),
    JS_CFUNC_MAGIC_DEF("info", 1, api_log, NXG_LOG_INFO),
    JS_CFUNC_MAGIC_DEF("debug", 1, api_log, NXG_LOG_DEBUG),
    JS_CFUNC_MAGIC_DEF("warn", 1, api_log, NXG_LOG_WARN),
    JS_CFUNC_MAGIC_DEF("error", 1, api_log, NXG_LOG_ERROR),
};

/* ---------------------------------------------------------------- $ext */

/* $ext.NAME.METHOD(...args): func_data = [name, method]. Calls the host, which
 * suspends the engine until the result is known; returns a promise settled with it. */
static JSValue ext_method_call(JSContext *ctx, JSValueConst this_val, int argc,
                               JSValueConst *argv, int magic, JSValue *func_data)
{
    (void)this_val;
    (void)magic;
    JSValue resolving[2];
    JSValue promise = JS_NewPromiseCapability(ctx, resolving);
    if (JS_IsException(promise))
        return promise;
    JSValue outcome;
    bool ok = false;
    nxg_buf args;
    size_t name_len, method_len;
    const char *name = JS_ToCStringLen(ctx, &name_len, func_data[0]);
    const char *method = JS_ToCStringLen(ctx, &method_len, func_data[1]);
    if (!name || !method || !encode_args_array(ctx, &args, argc, argv)) {
        outcome = JS_GetException(ctx);
    } else {
        int64_t word = nxg_host_ext_call(name, (uint32_t)name_len, method, (uint32_t)method_len,
                                         args.data, (uint32_t)args.len);
        nxg_buf_free(&args);
        int32_t status = NXG_REPLY_STATUS(word);
        uint32_t len = NXG_REPLY_LEN(word);
        if (status == NXG_REPLY_OK) {
            outcome = len ? nxg_read_reply_value(ctx, len) : JS_UNDEFINED;
            ok = !JS_IsException(outcome);
            if (!ok)
                outcome = JS_GetException(ctx);
        } else if (status == NXG_REPLY_ABSENT) {
            outcome = JS_UNDEFINED;
            ok = true;
        } else {
            outcome = reply_error_value(ctx, len, "extension call failed");
        }
    }
    JS_FreeCString(ctx, name);
    JS_FreeCString(ctx, method);
    JSValue r = JS_Call(ctx, resolving[ok ? 0 : 1], JS_UNDEFINED, 1, &outcome);
    JS_FreeValue(ctx, outcome);
    JS_FreeValue(ctx, resolving[0]);
    JS_FreeValue(ctx, resolving[1]);
    if (JS_IsException(r)) {
        JS_FreeValue(ctx, promise);
        return r;
    }
    JS_FreeValue(ctx, r);
    return promise;
}

/* True when the run's registry lists `name` (and `method`, when not NULL); every name is
 * allowed when the run has no registry. */
static int ext_registered(JSContext *ctx, JSValueConst name, JSValueConst method)
{
    if (!JS_IsObject(nxg_g.extensions))
        return 1;
    JSAtom atom = JS_ValueToAtom(ctx, name);
    if (atom == JS_ATOM_NULL)
        return -1;
    JSValue methods = JS_GetProperty(ctx, nxg_g.extensions, atom);
    int has = JS_GetOwnProperty(ctx, NULL, nxg_g.extensions, atom);
    JS_FreeAtom(ctx, atom);
    if (has <= 0 || JS_IsUndefined(method) || JS_IsException(methods)) {
        JS_FreeValue(ctx, methods);
        return has;
    }
    int found = 0;
    uint32_t n = 0;
    if (JS_IsArray(ctx, methods) > 0) {
        JSValue len = JS_GetPropertyStr(ctx, methods, "length");
        JS_ToUint32(ctx, &n, len);
        JS_FreeValue(ctx, len);
    }
    size_t want_len;
    const char *want = JS_ToCStringLen(ctx, &want_len, method);
    for (uint32_t i = 0; want && i < n && !found; i++) {
        JSValue m = JS_GetPropertyUint32(ctx, methods, i);
        size_t m_len;
        const char *s = JS_IsString(m) ? JS_ToCStringLen(ctx, &m_len, m) : NULL;
        found = s && m_len == want_len && memcmp(s, want, m_len) == 0;
        JS_FreeCString(ctx, s);
        JS_FreeValue(ctx, m);
    }
    JS_FreeCString(ctx, want);
    JS_FreeValue(ctx, methods);
    return found;
}

/* get trap of an extension object (target holds the extension name as "name"). */
static JSValue ext_object_get(JSContext *ctx, JSValueConst this_val, int argc,
                              JSValueConst *argv)
{
    (void)this_val;
    (void)argc;
    if (JS_IsSymbol(argv[1]))
        return JS_UNDEFINED;
    JSValue name = JS_GetPropertyStr(ctx, argv[0], "name");
    JSValue method = JS_ToString(ctx, argv[1]);
    JSValue r = JS_EXCEPTION;
    if (!JS_IsException(method)) {
        int reg = ext_registered(ctx, name, method);
        if (reg == 0) {
            const char *n = JS_ToCString(ctx, name), *m = JS_ToCString(ctx, method);
            JS_ThrowTypeError(ctx, "unknown method \"%s\" of extension \"%s\"", m ? m : "?",
                              n ? n : "?");
            JS_FreeCString(ctx, n);
            JS_FreeCString(ctx, m);
        } else if (reg > 0) {
            JSValue data[2] = {name, method};
            r = JS_NewCFunctionData(ctx, ext_method_call, 0, 0, 2, data);
        }
    }
    JS_FreeValue(ctx, name);
    JS_FreeValue(ctx, method);
    return r;
}

static const JSCFunctionListEntry ext_object_traps[] = {
    JS_CFUNC_DEF("get", 3, ext_object_get),
};

/* get trap of $ext: an extension object for a registered (or any) name. */
static JSValue ext_root_get(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    (void)this_val;
    (void)argc;
    if (JS_IsSymbol(argv[1]))
        return JS_UNDEFINED;
    JSValue name = JS_ToString(ctx, argv[1]);
    if (JS_IsException(name))
        return name;
    int reg = ext_registered(ctx, name, JS_UNDEFINED);
    if (reg <= 0) {
        if (reg == 0) {
            const char *n = JS_ToCString(ctx, name);
            JS_ThrowTypeError(ctx, "unknown extension \"%s\"", n ? n : "?");
            JS_FreeCString(ctx, n);
        }
        JS_FreeValue(ctx, name);
        return JS_EXCEPTION;
    }
    JSValue target = JS_NewObjectProto(ctx, JS_NULL);
    JSValue handler = JS_NewObjectProto(ctx, JS_NULL);
    if (JS_IsException(target) || JS_IsException(handler)) {
        JS_FreeValue(ctx, target);
        JS_FreeValue(ctx, handler);
        JS_FreeValue(ctx, name);
        return JS_EXCEPTION;
    }
    JS_DefinePropertyValueStr(ctx, target, "name", name, 0);
    JS_SetPropertyFunctionList(ctx, handler, ext_object_traps, 1);
    return new_proxy(ctx, target, handler);
}

static const JSCFunctionListEntry ext_root_traps[] = {
    JS_CFUNC_DEF("get", 3, ext_root_get),
};

/* ---------------------------------------------------------------- Math.random */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Math.random(): xorshift128+, seeded from the host once per execution (a snapshot
 * would otherwise replay the same sequence in every execution). */
static JSValue api_random(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    (void)this_val;
    (void)argc;
    (void)argv;
    if (!nxg_g.rng_seeded) {
        uint64_t seed = (uint64_t)nxg_host_random();
        nxg_g.rng[0] = splitmix64(&seed);
        nxg_g.rng[1] = splitmix64(&seed) | 1;
        nxg_g.rng_seeded = true;
    }
    uint64_t s1 = nxg_g.rng[0];
    const uint64_t s0 = nxg_g.rng[1];
    nxg_g.rng[0] = s0;
    s1 ^= s1 << 23;
    nxg_g.rng[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
    uint64_t r = nxg_g.rng[1] + s0;
    return JS_NewFloat64(ctx, (double)(r >> 11) * 0x1.0p-53);
}

/* ---------------------------------------------------------------- eval, Function */

/* The stand-in for eval and for the Function constructors: always throws an EvalError. */
static JSValue api_no_codegen(JSContext *ctx, JSValueConst this_val, int argc,
                              JSValueConst *argv, int magic)
{
    (void)this_val;
    (void)argc;
    (void)argv;
    static const char *const what[] = {"eval", "the Function constructor"};
    char msg[128];
    snprintf(msg, sizeof(msg), "%s is not available in Nexus handlers (code generation from "
             "strings is disabled)", what[magic]);
    JSValue text = JS_NewString(ctx, msg);
    JSValue err = JS_CallConstructor(ctx, eval_error_ctor, 1, &text);
    JS_FreeValue(ctx, text);
    if (JS_IsException(err))
        return err;
    return JS_Throw(ctx, err);
}

/* Replaces proto.constructor (the Function, AsyncFunction, ... constructor) by a thrower
 * whose .prototype is proto, so `instanceof` keeps working. */
static int replace_constructor(JSContext *ctx, JSValueConst proto, JSValueConst global,
                               const char *global_name)
{
    JSValue thrower = JS_NewCFunction2(ctx, (JSCFunction *)(void *)api_no_codegen,
                                       global_name ? global_name : "", 1,
                                       JS_CFUNC_constructor_or_func_magic, 1);
    if (JS_IsException(thrower))
        return -1;
    JS_DefinePropertyValueStr(ctx, thrower, "prototype", JS_DupValue(ctx, proto), 0);
    if (JS_DefinePropertyValueStr(ctx, proto, "constructor", JS_DupValue(ctx, thrower),
                                  JS_PROP_WRITABLE | JS_PROP_CONFIGURABLE) < 0) {
        JS_FreeValue(ctx, thrower);
        return -1;
    }
    if (global_name)
        return JS_DefinePropertyValueStr(ctx, global, global_name, thrower,
                                         JS_PROP_WRITABLE | JS_PROP_CONFIGURABLE);
    JS_FreeValue(ctx, thrower);
    return 0;
}

/* Prototype of the function `sample` (a new reference). */
static JSValue proto_of(JSContext *ctx, JSValue sample)
{
    JSValue p = JS_GetPrototype(ctx, sample);
    JSValue r = JS_DupValue(ctx, p);
    JS_FreeValue(ctx, sample);
    return r;
}

/* ---------------------------------------------------------------- install */

static int define_global(JSContext *ctx, JSValueConst global, const char *name, JSValue v)
{
    if (JS_IsException(v))
        return -1;
    return JS_DefinePropertyValueStr(ctx, global, name, v, 0) < 0 ? -1 : 0;
}

/* Samples of each function kind, made by code compiled elsewhere (ctx has no eval). */
extern JSValue nxg_eval_in(JSContext *ctx, const char *source);

int nxg_api_install(JSContext *ctx)
{
    JSValue global = JS_GetGlobalObject(ctx);
    int r = -1;
    proxy_ctor = JS_GetPropertyStr(ctx, global, "Proxy");
    eval_error_ctor = JS_GetPropertyStr(ctx, global, "EvalError");

    /* $state */
    JSValue state_handler = JS_NewObjectProto(ctx, JS_NULL);
    JS_SetPropertyFunctionList(ctx, state_handler, state_traps,
                               sizeof(state_traps) / sizeof(state_traps[0]));
    if (define_global(ctx, global, "$state",
                      new_proxy(ctx, JS_NewObjectProto(ctx, JS_NULL), state_handler)) < 0)
        goto done;

    /* $emit, $view */
    if (define_global(ctx, global, "$emit", JS_NewCFunction(ctx, api_emit, "$emit", 2)) < 0)
        goto done;
    JSValue view = JS_NewObject(ctx);
    JS_SetPropertyFunctionList(ctx, view, view_funcs, sizeof(view_funcs) / sizeof(view_funcs[0]));
    if (define_global(ctx, global, "$view", view) < 0)
        goto done;

    /* $ext */
    JSValue ext_handler = JS_NewObjectProto(ctx, JS_NULL);
    JS_SetPropertyFunctionList(ctx, ext_handler, ext_root_traps, 1);
    if (define_global(ctx, global, "$ext",
                      new_proxy(ctx, JS_NewObjectProto(ctx, JS_NULL), ext_handler)) < 0)
        goto done;

    /* $log, console */
    JSValue log = JS_NewCFunctionMagic(ctx, api_log, "$log", 1, JS_CFUNC_generic_magic,
                                       NXG_LOG_INFO);
    JS_SetPropertyFunctionList(ctx, log, log_funcs, sizeof(log_funcs) / sizeof(log_funcs[0]));
    if (define_global(ctx, global, "$log", log) < 0)
        goto done;
    JSValue console = JS_NewObject(ctx);
    JS_SetPropertyFunctionList(ctx, console, console_funcs,
                               sizeof(console_funcs) / sizeof(console_funcs[0]));
    if (JS_DefinePropertyValueStr(ctx, global, "console", console,
                                  JS_PROP_WRITABLE | JS_PROP_CONFIGURABLE) < 0)
        goto done;

    /* $args, $scope: null until a run's context gives them */
    nxg_g.atom_args = JS_NewAtom(ctx, "$args");
    nxg_g.atom_scope = JS_NewAtom(ctx, "$scope");
    if (JS_DefinePropertyValue(ctx, global, nxg_g.atom_args, JS_NULL, JS_PROP_CONFIGURABLE) < 0 ||
        JS_DefinePropertyValue(ctx, global, nxg_g.atom_scope, JS_NULL, JS_PROP_CONFIGURABLE) < 0)
        goto done;

    /* Math.random */
    JSValue math = JS_GetPropertyStr(ctx, global, "Math");
    JS_DefinePropertyValueStr(ctx, math, "random", JS_NewCFunction(ctx, api_random, "random", 0),
                              JS_PROP_WRITABLE | JS_PROP_CONFIGURABLE);
    JS_FreeValue(ctx, math);

    /* eval and the Function constructors */
    if (JS_DefinePropertyValueStr(ctx, global, "eval",
                                  JS_NewCFunctionMagic(ctx, api_no_codegen, "eval", 1,
                                                       JS_CFUNC_generic_magic, 0),
                                  JS_PROP_WRITABLE | JS_PROP_CONFIGURABLE) < 0)
        goto done;
    JSValue samples = nxg_eval_in(ctx, "[function(){}, async function(){}, function*(){}, "
                                       "async function*(){}]");
    if (JS_IsException(samples))
        goto done;
    static const char *const globals[] = {"Function", NULL, NULL, NULL};
    for (uint32_t i = 0; i < 4; i++) {
        JSValue proto = proto_of(ctx, JS_GetPropertyUint32(ctx, samples, i));
        int ok = replace_constructor(ctx, proto, global, globals[i]);
        JS_FreeValue(ctx, proto);
        if (ok < 0) {
            JS_FreeValue(ctx, samples);
            goto done;
        }
    }
    JS_FreeValue(ctx, samples);
    r = 0;
done:
    JS_FreeValue(ctx, global);
    return r;
}

int nxg_api_begin_run(JSContext *ctx, JSValue args, JSValue scope, JSValue extensions)
{
    JS_FreeValue(ctx, nxg_g.extensions);
    nxg_g.extensions = extensions;
    if (JS_IsUndefined(args) && JS_IsUndefined(scope) && !nxg_g.context_set)
        return 0; /* both are still null, as installed */
    if (JS_IsUndefined(args))
        args = JS_NULL;
    if (JS_IsUndefined(scope))
        scope = JS_NULL;
    nxg_g.context_set = true;
    JSValue global = JS_GetGlobalObject(ctx);
    int r = -1;
    if (JS_DefinePropertyValue(ctx, global, nxg_g.atom_args, args, JS_PROP_CONFIGURABLE) >= 0 &&
        JS_DefinePropertyValue(ctx, global, nxg_g.atom_scope, scope, JS_PROP_CONFIGURABLE) >= 0)
        r = 0;
    JS_FreeValue(ctx, global);
    return r;
}
