#!/usr/bin/env node
// Renders ImageGen's kustomizations without a kustomize binary and checks everything they produce:
// the Kubernetes schemas (npm kubernetes-models), fields the API server would refuse as unknown,
// and the cross-references no schema sees (selectors, ConfigMap/Secret keys, probe ports, service
// discovery addresses, autoscaler targets, security settings).
//
//   node deploy/k8s/validate.mjs                    every overlay under deploy/k8s/overlays
//   node deploy/k8s/validate.mjs <dir>...           those kustomizations
//   node deploy/k8s/validate.mjs --render <dir>     print the rendered YAML instead (to compare
//                                                   with `kubectl kustomize <dir>`); with --json,
//                                                   one JSON array of the objects
//
// Prints one line per object and ends with "k8s: N objects valid, M invalid"; exits 1 on any
// problem. Needs `npm ci --prefix deploy/k8s` once.
//
// The renderer implements the part of kustomize these manifests use, and refuses anything else
// by name rather than rendering it wrongly: resources (files and directories), namespace, labels
// (includeTemplates; not includeSelectors), configMapGenerator/secretGenerator (literals, envs,
// behavior create/merge/replace, options), generatorOptions, images, replicas, and patches
// (strategic merge or JSON 6902, by target or by the patch's own kind and name). Generated names
// get kustomize's content hash, and references to them are rewritten, as kustomize does.

import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const nodeModules = path.join(here, "node_modules");

let YAML;
try {
    YAML = await import("yaml");
} catch {
    console.error(`validate.mjs: its packages are not installed; run: npm ci --prefix ${path.relative(process.cwd(), here) || "."}`);
    process.exit(2);
}

/** A mistake in a kustomization: rendering stops, like kustomize's would. */
class RenderError extends Error {}

const show = (file) => path.relative(process.cwd(), file) || ".";
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const clone = (v) => structuredClone(v);

// ───────────────────────────── YAML ─────────────────────────────

function readYaml(file) {
    let text;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch {
        throw new RenderError(`${show(file)}: no such file`);
    }
    return parseYaml(text, show(file));
}

function parseYaml(text, where) {
    const values = [];
    for (const doc of YAML.parseAllDocuments(text, { uniqueKeys: true })) {
        const error = doc.errors[0];
        if (error) throw new RenderError(`${where}: ${error.message.split("\n")[0]}`);
        const value = doc.toJS();
        if (value !== null && value !== undefined) values.push(value);
    }
    return values;
}

// ──────────────────────────── kustomize ────────────────────────────

const KUSTOMIZATION_FILES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];
const SUPPORTED_FIELDS = new Set([
    "apiVersion", "kind", "namespace", "labels", "resources", "configMapGenerator", "secretGenerator",
    "generatorOptions", "images", "replicas", "patches",
]);
const CLUSTER_SCOPED = new Set([
    "Namespace", "Node", "PersistentVolume", "StorageClass", "ClusterRole", "ClusterRoleBinding",
    "CustomResourceDefinition", "PriorityClass", "IngressClass", "RuntimeClass", "CSIDriver", "CSINode",
    "VolumeAttachment", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "APIService",
    "CertificateSigningRequest", "FlowSchema", "PriorityLevelConfiguration", "ClusterTrustBundle",
]);
const WORKLOAD_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob", "Pod"]);

function kustomizationFile(dir) {
    for (const name of KUSTOMIZATION_FILES) {
        const file = path.join(dir, name);
        if (fs.existsSync(file)) return file;
    }
    return null;
}

const groupOf = (apiVersion = "") => (apiVersion.includes("/") ? apiVersion.split("/")[0] : "");
const versionOf = (apiVersion = "") => apiVersion.split("/").at(-1);
const idOf = (obj) => `${groupOf(obj.apiVersion)}/${obj.kind}|${obj.metadata?.namespace ?? ""}|${obj.metadata?.name}`;
const describe = (obj) => `${obj.kind} ${obj.metadata?.namespace ? obj.metadata.namespace + "/" : ""}${obj.metadata?.name}`;

/** Renders a kustomization directory as kustomize build would: a list of objects. */
function render(dir, notes) {
    const resources = accumulate(path.resolve(dir), [], notes);
    finalizeGeneratedNames(resources);
    return sortLikeKustomize(resources.map((r) => r.obj));
}

/**
 * One level of a kustomization: its resources (bases built recursively), then its generators, then
 * its transformers in kustomize's order (patches, namespace, labels, replicas, images).
 * Each entry is { obj, generated, hashed }: generated names are suffixed only at the very end.
 */
function accumulate(dir, stack, notes) {
    const file = kustomizationFile(dir);
    if (!file) throw new RenderError(`${show(dir)}: no kustomization.yaml`);
    if (stack.includes(dir)) throw new RenderError(`${show(dir)}: includes itself (${stack.map(show).join(" -> ")})`);
    const [kz = {}] = readYaml(file);
    if (!isObject(kz)) throw new RenderError(`${show(file)}: not a mapping`);
    for (const field of Object.keys(kz)) {
        if (!SUPPORTED_FIELDS.has(field)) {
            const hint = field === "commonLabels" ? " (use labels: with includeTemplates)" : "";
            throw new RenderError(`${show(file)}: '${field}' is outside the kustomize subset validate.mjs renders${hint}; keep the manifests within it or extend validate.mjs`);
        }
    }
    if (kz.kind !== undefined && kz.kind !== "Kustomization") throw new RenderError(`${show(file)}: kind must be Kustomization`);

    const resources = [];
    const add = (entry, origin) => {
        const obj = entry.obj;
        if (!isObject(obj) || typeof obj.kind !== "string" || typeof obj.apiVersion !== "string" || !obj.metadata?.name) {
            throw new RenderError(`${origin}: every resource needs apiVersion, kind and metadata.name`);
        }
        const clash = resources.find((r) => idOf(r.obj) === idOf(obj));
        if (clash) throw new RenderError(`${origin}: ${describe(obj)} is defined twice`);
        resources.push(entry);
    };

    for (const item of kz.resources ?? []) {
        if (typeof item !== "string" || /^[a-z]+:\/\//i.test(item) || item.startsWith("git@")) {
            throw new RenderError(`${show(file)}: resource '${item}' is not a local path (remote bases are outside the subset)`);
        }
        if (path.isAbsolute(item)) throw new RenderError(`${show(file)}: resource '${item}' is absolute; kustomize takes only relative paths`);
        const target = path.resolve(dir, item);
        if (!fs.existsSync(target)) throw new RenderError(`${show(file)}: resource '${item}' does not exist`);
        if (fs.statSync(target).isDirectory()) {
            for (const entry of accumulate(target, [...stack, dir], notes)) add(entry, show(target));
        } else {
            inside(dir, item, `${show(file)}: resource`);
            for (const obj of readYaml(target)) add({ obj, generated: false, hashed: false }, show(target));
        }
    }

    const options = kz.generatorOptions ?? {};
    checkKeys(options, ["disableNameSuffixHash", "labels", "annotations", "immutable"], `${show(file)}: generatorOptions`);
    for (const [field, kind] of [["configMapGenerator", "ConfigMap"], ["secretGenerator", "Secret"]]) {
        for (const args of kz[field] ?? []) {
            const where = `${show(file)}: ${field} '${args?.name}'`;
            const generated = generate(kind, args, dir, options, where, notes);
            const behavior = args.behavior ?? "create";
            const existing = resources.filter((r) => r.obj.kind === kind && r.obj.metadata.name === args.name
                && (args.namespace === undefined || r.obj.metadata.namespace === args.namespace));
            if (behavior === "create") {
                add(generated, where);
            } else if (behavior === "merge" || behavior === "replace") {
                if (existing.length !== 1) throw new RenderError(`${where}: behavior ${behavior} needs exactly one existing ${kind} of that name, found ${existing.length}`);
                const target = existing[0].obj;
                target.data = behavior === "merge" ? { ...target.data, ...generated.obj.data } : generated.obj.data;
                for (const meta of ["labels", "annotations"]) {
                    if (generated.obj.metadata[meta]) target.metadata[meta] = { ...target.metadata[meta], ...generated.obj.metadata[meta] };
                }
            } else {
                throw new RenderError(`${where}: unknown behavior '${behavior}'`);
            }
        }
    }

    for (const entry of kz.patches ?? []) applyPatch(entry, resources, dir, show(file));

    if (kz.namespace !== undefined) {
        for (const { obj } of resources) {
            if (!CLUSTER_SCOPED.has(obj.kind)) obj.metadata.namespace = kz.namespace;
        }
    }

    for (const spec of kz.labels ?? []) applyLabels(spec, resources, show(file));

    for (const spec of kz.replicas ?? []) {
        checkKeys(spec, ["name", "count"], `${show(file)}: replicas`);
        const targets = resources.filter((r) => ["Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"].includes(r.obj.kind)
            && r.obj.metadata.name === spec.name);
        if (targets.length === 0) throw new RenderError(`${show(file)}: replicas '${spec.name}' names no Deployment or StatefulSet`);
        for (const { obj } of targets) obj.spec = { ...obj.spec, replicas: spec.count };
    }

    for (const spec of kz.images ?? []) applyImage(spec, resources, show(file));

    return resources;
}

/** kustomize loads files (not bases) only from within the kustomization's own directory. */
function inside(dir, file, where) {
    const relative = path.relative(dir, path.resolve(dir, String(file)));
    if (path.isAbsolute(String(file)) || relative.startsWith("..")) {
        throw new RenderError(`${where} '${file}' is outside ${show(dir)}; kustomize loads files only from the kustomization's directory`);
    }
    return path.resolve(dir, String(file));
}

function checkKeys(obj, allowed, where) {
    if (obj === undefined) return;
    if (!isObject(obj)) throw new RenderError(`${where}: must be a mapping`);
    for (const key of Object.keys(obj)) {
        if (!allowed.includes(key)) throw new RenderError(`${where}: '${key}' is outside the kustomize subset validate.mjs renders`);
    }
}

// ── generators ──

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

function generate(kind, args, dir, kustomizationOptions, where, notes) {
    checkKeys(args, ["name", "namespace", "behavior", "literals", "envs", "env", "options", ...(kind === "Secret" ? ["type"] : [])], where);
    if (!args.name) throw new RenderError(`${where}: needs a name`);
    const options = { ...kustomizationOptions, ...args.options };
    checkKeys(args.options, ["disableNameSuffixHash", "labels", "annotations", "immutable"], `${where}: options`);

    const data = new Map();
    const put = (key, value, origin) => {
        if (!CONFIG_KEY.test(key)) throw new RenderError(`${origin}: '${key}' is not a valid key (letters, digits, '-', '_' and '.' only)`);
        if (data.has(key)) throw new RenderError(`${origin}: key '${key}' is given twice`);
        data.set(key, value);
    };
    for (const literal of args.literals ?? []) {
        const text = String(literal);
        const eq = text.indexOf("=");
        if (eq <= 0) throw new RenderError(`${where}: literal '${text.split("=")[0]}' is not KEY=VALUE`);
        let value = text.slice(eq + 1);
        // As kustomize: one pair of surrounding quotes is taken off a literal's value.
        if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) value = value.slice(1, -1);
        put(text.slice(0, eq), value, where);
    }
    for (const envFile of [...(args.envs ?? []), ...(args.env ? [args.env] : [])]) {
        const file = envFileOrExample(inside(dir, envFile, `${where}: env file`), notes);
        const lines = fs.readFileSync(file, "utf8").replace(/^\uFEFF/, "").split("\n");
        lines.forEach((raw, i) => {
            const line = raw.replace(/\r$/, "").replace(/^\s+/, "");
            if (line === "" || line.startsWith("#")) return;
            const origin = `${show(file)}:${i + 1}`;
            const eq = line.indexOf("=");
            if (eq < 0) throw new RenderError(`${origin}: not KEY=VALUE (taking the value from the environment is outside the subset)`);
            const key = line.slice(0, eq);
            if (key !== key.trim()) throw new RenderError(`${origin}: key '${key}' has spaces around it; kustomize would keep them in the key`);
            put(key, line.slice(eq + 1), origin);
        });
    }

    const metadata = { name: args.name };
    if (args.namespace !== undefined) metadata.namespace = args.namespace;
    if (options.labels) metadata.labels = { ...options.labels };
    if (options.annotations) metadata.annotations = { ...options.annotations };
    const obj = { apiVersion: "v1", kind, metadata };
    if (kind === "Secret") {
        obj.type = args.type ?? "Opaque";
        obj.data = Object.fromEntries([...data].map(([k, v]) => [k, base64LikeKustomize(v)]));
    } else {
        obj.data = Object.fromEntries(data);
    }
    if (options.immutable) obj.immutable = true;
    return { obj, generated: true, hashed: options.disableNameSuffixHash !== true };
}

/** kustomize wraps long base64 values at 70 characters, ending every line with a newline. */
function base64LikeKustomize(value) {
    const encoded = Buffer.from(value, "utf8").toString("base64");
    if (encoded.length < 70) return encoded;
    return encoded.match(/.{1,70}/g).map((line) => line + "\n").join("");
}

/**
 * An overlay's env files (secret.env, credentials.env) hold real credentials and are never
 * committed; on a clone, render with the committed X.example.env beside X.env instead, and say so.
 */
function envFileOrExample(file, notes) {
    if (fs.existsSync(file)) return file;
    const example = file.replace(/\.env$/, ".example.env");
    if (example !== file && fs.existsSync(example)) {
        notes.push(`${show(file)} is absent: rendered with ${path.basename(example)} (copy it to ${path.basename(file)} with real values before applying)`);
        return example;
    }
    throw new RenderError(`${show(file)}: no such file`);
}

// kustomize's name suffix: the first 10 hex digits of a SHA-256 over Go's JSON encoding of the
// object's kind, type and data (name left empty), with some digits swapped for letters.
function contentHash(obj) {
    const encoded = obj.kind === "Secret"
        ? { data: sortKeys(obj.data ?? {}), kind: "Secret", name: "", type: obj.type ?? "" }
        : { ...(obj.binaryData ? { binaryData: sortKeys(obj.binaryData) } : {}), data: sortKeys(obj.data ?? {}), kind: "ConfigMap", name: "" };
    const json = JSON.stringify(encoded).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    const hex = createHash("sha256").update(json).digest("hex").slice(0, 10);
    return hex.replace(/[013ae]/g, (c) => ({ 0: "g", 1: "h", 3: "k", a: "m", e: "t" })[c]);
}

function sortKeys(obj) {
    return Object.fromEntries(Object.keys(obj).sort().map((k) => [k, obj[k]]));
}

/** Suffixes generated names with their hash and rewrites every reference to them. */
function finalizeGeneratedNames(resources) {
    const renamed = [];
    for (const entry of resources) {
        if (!entry.generated || !entry.hashed) continue;
        const { obj } = entry;
        const from = obj.metadata.name;
        obj.metadata.name = `${from}-${contentHash(obj)}`;
        renamed.push({ kind: obj.kind, namespace: obj.metadata.namespace ?? "", from, to: obj.metadata.name });
    }
    const rename = (kind, namespace, name) =>
        renamed.find((r) => r.kind === kind && r.namespace === (namespace ?? "") && r.from === name)?.to ?? name;
    for (const { obj } of resources) {
        const ns = obj.metadata.namespace;
        for (const pod of podTemplates(obj)) {
            const spec = pod.spec ?? {};
            for (const container of allContainers(spec)) {
                for (const env of container.env ?? []) {
                    const cm = env.valueFrom?.configMapKeyRef;
                    if (cm?.name) cm.name = rename("ConfigMap", ns, cm.name);
                    const secret = env.valueFrom?.secretKeyRef;
                    if (secret?.name) secret.name = rename("Secret", ns, secret.name);
                }
                for (const source of container.envFrom ?? []) {
                    if (source.configMapRef?.name) source.configMapRef.name = rename("ConfigMap", ns, source.configMapRef.name);
                    if (source.secretRef?.name) source.secretRef.name = rename("Secret", ns, source.secretRef.name);
                }
            }
            for (const volume of spec.volumes ?? []) {
                if (volume.configMap?.name) volume.configMap.name = rename("ConfigMap", ns, volume.configMap.name);
                if (volume.secret?.secretName) volume.secret.secretName = rename("Secret", ns, volume.secret.secretName);
                for (const source of volume.projected?.sources ?? []) {
                    if (source.configMap?.name) source.configMap.name = rename("ConfigMap", ns, source.configMap.name);
                    if (source.secret?.name) source.secret.name = rename("Secret", ns, source.secret.name);
                }
            }
            for (const pull of spec.imagePullSecrets ?? []) pull.name = rename("Secret", ns, pull.name);
        }
        if (obj.kind === "Ingress") {
            for (const tls of obj.spec?.tls ?? []) {
                if (tls.secretName) tls.secretName = rename("Secret", ns, tls.secretName);
            }
        }
    }
}

// kustomize's default ("legacy") output order: by kind as below, then kind, namespace and name.
const ORDER_FIRST = ["Namespace", "ResourceQuota", "StorageClass", "CustomResourceDefinition", "ServiceAccount",
    "PodSecurityPolicy", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ConfigMap", "Secret", "Endpoints",
    "Service", "LimitRange", "PriorityClass", "PersistentVolume", "PersistentVolumeClaim", "Deployment", "StatefulSet",
    "CronJob", "PodDisruptionBudget"];
const ORDER_LAST = ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"];

function sortLikeKustomize(objects) {
    const rank = (kind) => {
        const first = ORDER_FIRST.indexOf(kind);
        if (first >= 0) return first;
        const last = ORDER_LAST.indexOf(kind);
        return last >= 0 ? ORDER_FIRST.length + 1 + last : ORDER_FIRST.length;
    };
    const key = (o) => [o.kind, o.metadata.namespace ?? "", o.metadata.name].join("\0");
    return objects.sort((a, b) => rank(a.kind) - rank(b.kind) || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

// ── transformers ──

function applyLabels(spec, resources, where) {
    checkKeys(spec, ["pairs", "includeSelectors", "includeTemplates"], `${where}: labels`);
    if (spec.includeSelectors) {
        throw new RenderError(`${where}: labels with includeSelectors is outside the subset (selectors of a live Deployment cannot change anyway)`);
    }
    const pairs = spec.pairs ?? {};
    const addTo = (meta) => {
        meta.labels = { ...meta.labels, ...pairs };
    };
    for (const { obj } of resources) {
        addTo(obj.metadata);
        if (!spec.includeTemplates) continue;
        const templates = [];
        if (["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"].includes(obj.kind) && obj.spec?.template) {
            templates.push(obj.spec.template);
        }
        if (obj.kind === "CronJob" && obj.spec?.jobTemplate) {
            templates.push(obj.spec.jobTemplate);
            if (obj.spec.jobTemplate.spec?.template) templates.push(obj.spec.jobTemplate.spec.template);
        }
        if (obj.kind === "StatefulSet") templates.push(...(obj.spec?.volumeClaimTemplates ?? []));
        for (const template of templates) addTo((template.metadata ??= {}));
    }
}

function parseImage(image) {
    let rest = image;
    let digest = null;
    const at = rest.indexOf("@");
    if (at >= 0) [rest, digest] = [rest.slice(0, at), rest.slice(at + 1)];
    let tag = null;
    const colon = rest.lastIndexOf(":");
    if (colon > rest.lastIndexOf("/")) [rest, tag] = [rest.slice(0, colon), rest.slice(colon + 1)];
    return { name: rest, tag, digest };
}

function applyImage(spec, resources, where) {
    checkKeys(spec, ["name", "newName", "newTag", "digest"], `${where}: images`);
    let matched = 0;
    for (const { obj } of resources) {
        for (const pod of podTemplates(obj)) {
            for (const container of allContainers(pod.spec ?? {})) {
                const image = parseImage(String(container.image ?? ""));
                if (image.name !== spec.name) continue;
                matched++;
                const name = spec.newName ?? image.name;
                let tag = image.tag;
                let digest = image.digest;
                if (spec.newTag !== undefined) [tag, digest] = [String(spec.newTag), spec.digest ?? null];
                else if (spec.digest !== undefined) [tag, digest] = [null, spec.digest];
                container.image = name + (tag ? `:${tag}` : "") + (digest ? `@${digest}` : "");
            }
        }
    }
    if (matched === 0) throw new RenderError(`${where}: images entry '${spec.name}' matches no container image`);
}

function applyPatch(entry, resources, dir, where) {
    checkKeys(entry, ["path", "patch", "target"], `${where}: patches`);
    if ((entry.path === undefined) === (entry.patch === undefined)) throw new RenderError(`${where}: a patch needs exactly one of path and patch`);
    const patchFile = entry.path === undefined ? null : inside(dir, entry.path, `${where}: patch`);
    const origin = patchFile ? show(patchFile) : `${where}: inline patch`;
    const docs = patchFile ? readYaml(patchFile) : parseYaml(String(entry.patch), origin);
    if (docs.length === 0) throw new RenderError(`${origin}: empty patch`);
    const isJson6902 = Array.isArray(docs[0]);

    let targets;
    if (entry.target) {
        checkKeys(entry.target, ["group", "version", "kind", "name", "namespace"], `${where}: patch target`);
        const t = entry.target;
        const like = (pattern, value) => pattern === undefined || new RegExp(`^(?:${pattern})$`).test(value ?? "");
        targets = resources.filter(({ obj }) => like(t.kind, obj.kind) && like(t.name, obj.metadata.name)
            && like(t.namespace, obj.metadata.namespace) && like(t.group, groupOf(obj.apiVersion)) && like(t.version, versionOf(obj.apiVersion)));
        if (targets.length === 0) throw new RenderError(`${origin}: target ${JSON.stringify(t)} matches no resource`);
    } else if (isJson6902) {
        throw new RenderError(`${origin}: a JSON 6902 patch needs a target`);
    }

    if (isJson6902) {
        if (docs.length !== 1) throw new RenderError(`${origin}: a JSON 6902 patch is one list of operations`);
        for (const { obj } of targets) applyJson6902(obj, docs[0], `${origin} on ${describe(obj)}`);
        return;
    }
    for (const patch of docs) {
        if (!isObject(patch)) throw new RenderError(`${origin}: a strategic merge patch is a mapping`);
        const own = targets ?? resources.filter(({ obj }) => obj.kind === patch.kind && obj.metadata.name === patch.metadata?.name
            && (patch.metadata?.namespace === undefined || obj.metadata.namespace === patch.metadata.namespace));
        if (own.length === 0) throw new RenderError(`${origin}: no ${patch.kind} named '${patch.metadata?.name}' to patch`);
        for (const target of own) {
            const { name, namespace } = target.obj.metadata;
            target.obj = strategicMerge(target.obj, patch, `${origin} on ${describe(target.obj)}`);
            target.obj.metadata.name = name;
            if (namespace !== undefined) target.obj.metadata.namespace = namespace;
        }
    }
}

// Kubernetes' patch merge keys for the lists these manifests patch; other lists are replaced whole.
const MERGE_KEYS = {
    containers: "name", initContainers: "name", ephemeralContainers: "name", env: "name", volumes: "name",
    volumeMounts: "mountPath", volumeDevices: "devicePath", imagePullSecrets: "name", hostAliases: "ip",
    topologySpreadConstraints: "topologyKey", resourceClaims: "name", conditions: "type",
};

function mergeKeyFor(field, items) {
    if (field === "ports") return items.some((i) => isObject(i) && "containerPort" in i) ? "containerPort" : "port";
    return MERGE_KEYS[field];
}

function strategicMerge(target, patch, where, field = "") {
    if (!isObject(patch)) return clone(patch);
    if (patch.$patch === "replace") {
        const { $patch, ...rest } = patch;
        return clone(rest);
    }
    const result = isObject(target) ? { ...target } : {};
    for (const [key, value] of Object.entries(patch)) {
        if (key.startsWith("$")) throw new RenderError(`${where}: directive '${key}${key === "$patch" ? ": " + value : ""}' is outside the subset`);
        if (value === null) {
            delete result[key];
        } else if (Array.isArray(value)) {
            const mergeKey = mergeKeyFor(key, [...value, ...(Array.isArray(result[key]) ? result[key] : [])]);
            result[key] = mergeKey && Array.isArray(result[key]) ? mergeList(result[key], value, mergeKey, where) : clone(value);
        } else if (isObject(value)) {
            if (value.$patch === "delete") delete result[key];
            else result[key] = strategicMerge(result[key], value, where, key);
        } else {
            result[key] = value;
        }
    }
    return result;
}

// As kustomize orders a merged list: the patch's items first, in its order (merged with the
// originals of the same key), then the originals the patch did not name.
function mergeList(target, patch, mergeKey, where) {
    const result = [];
    const named = new Set();
    for (const item of patch) {
        if (!isObject(item) || !(mergeKey in item)) throw new RenderError(`${where}: list item without its merge key '${mergeKey}'`);
        named.add(item[mergeKey]);
        if (item.$patch === "delete") continue;
        const original = target.find((existing) => isObject(existing) && existing[mergeKey] === item[mergeKey]);
        result.push(strategicMerge(original ?? {}, item, where));
    }
    for (const existing of target) {
        if (!(isObject(existing) && named.has(existing[mergeKey]))) result.push(clone(existing));
    }
    return result;
}

function applyJson6902(obj, operations, where) {
    const pointer = (p) => {
        if (typeof p !== "string" || (p !== "" && !p.startsWith("/"))) throw new RenderError(`${where}: '${p}' is not a JSON pointer`);
        return p === "" ? [] : p.slice(1).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    };
    const parentOf = (tokens, op) => {
        let node = obj;
        for (const token of tokens.slice(0, -1)) {
            node = Array.isArray(node) ? node[Number(token)] : node?.[token];
            if (node === undefined || node === null || typeof node !== "object") {
                throw new RenderError(`${where}: ${op} ${"/" + tokens.join("/")}: no such path`);
            }
        }
        return node;
    };
    const get = (tokens, op) => {
        const parent = parentOf(tokens, op);
        const last = tokens.at(-1);
        const value = Array.isArray(parent) ? parent[Number(last)] : parent[last];
        if (value === undefined) throw new RenderError(`${where}: ${op} ${"/" + tokens.join("/")}: no such path`);
        return value;
    };
    const remove = (tokens, op) => {
        get(tokens, op);
        const parent = parentOf(tokens, op);
        if (Array.isArray(parent)) parent.splice(Number(tokens.at(-1)), 1);
        else delete parent[tokens.at(-1)];
    };
    const add = (tokens, value, op) => {
        const parent = parentOf(tokens, op);
        const last = tokens.at(-1);
        if (Array.isArray(parent)) {
            const index = last === "-" ? parent.length : Number(last);
            if (!Number.isInteger(index) || index < 0 || index > parent.length) throw new RenderError(`${where}: ${op} /${tokens.join("/")}: index out of range`);
            parent.splice(index, 0, value);
        } else {
            parent[last] = value;
        }
    };
    for (const operation of operations) {
        if (!isObject(operation)) throw new RenderError(`${where}: each operation is a mapping`);
        const { op } = operation;
        const tokens = pointer(operation.path);
        if (tokens.length === 0) throw new RenderError(`${where}: operations on the whole object are outside the subset`);
        switch (op) {
            case "add": add(tokens, clone(operation.value), op); break;
            case "remove": remove(tokens, op); break;
            case "replace": remove(tokens, op); add(tokens, clone(operation.value), op); break;
            case "move": { const from = pointer(operation.from); const value = get(from, op); remove(from, op); add(tokens, value, op); break; }
            case "copy": add(tokens, clone(get(pointer(operation.from), op)), op); break;
            case "test":
                if (JSON.stringify(get(tokens, op)) !== JSON.stringify(operation.value)) throw new RenderError(`${where}: test ${operation.path} failed`);
                break;
            default: throw new RenderError(`${where}: unknown op '${op}'`);
        }
    }
}

// ── pod templates ──

function podTemplates(obj) {
    if (!WORKLOAD_KINDS.has(obj.kind)) return [];
    if (obj.kind === "Pod") return [obj];
    if (obj.kind === "CronJob") return obj.spec?.jobTemplate?.spec?.template ? [obj.spec.jobTemplate.spec.template] : [];
    return obj.spec?.template ? [obj.spec.template] : [];
}

function allContainers(spec) {
    return [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
}

// ─────────────────────────── schemas ───────────────────────────

const modelCache = new Map();

async function schemaProblems(obj) {
    const group = groupOf(obj.apiVersion);
    const module = `kubernetes-models/${group ? group + "/" : ""}${versionOf(obj.apiVersion)}/${obj.kind}`;
    let Model = modelCache.get(module);
    if (Model === undefined) {
        try {
            Model = (await import(module))[obj.kind] ?? null;
        } catch {
            Model = null;
        }
        modelCache.set(module, Model);
    }
    if (!Model) return [`no schema for ${obj.apiVersion} ${obj.kind} (a typo, or an API this Kubernetes no longer serves)`];
    // kustomize wraps long base64 values across lines; the API server's decoder skips the line
    // breaks, but the schema's "byte" format does not.
    const checked = obj.kind === "Secret" && isObject(obj.data)
        ? { ...obj, data: Object.fromEntries(Object.entries(obj.data).map(([k, v]) => [k, typeof v === "string" ? v.replace(/[\r\n]/g, "") : v])) }
        : obj;
    try {
        new Model(checked).validate();
        return [];
    } catch (error) {
        const details = error.errors ?? error.validation?.errors ?? [];
        if (details.length === 0) return [`schema: ${error.message}`];
        return details.map((e) => `schema: ${pointerToPath(e.instancePath)} ${e.message}${e.params?.allowedValues ? ` (${e.params.allowedValues.join(", ")})` : ""}`);
    }
}

const pointerToPath = (p) => (p ? p.slice(1).split("/").map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`)).join("").replace(/^\./, "") : "(object)");

// The schemas in kubernetes-models let unknown fields through, as the OpenAPI documents do; the
// API server does not (kubectl's default strict field validation). So fields are also checked
// against the TypeScript declarations kubernetes-models ships, which list every field.

const dtsCache = new Map();

function tokenize(text) {
    const tokens = [];
    const pattern = /\s+|\/\*[\s\S]*?\*\/|\/\/[^\n]*|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|([A-Za-z_$][\w$]*)|(\d+(?:\.\d+)?)|([{}[\]<>()|&;:?,.=])|(.)/g;
    for (const m of text.matchAll(pattern)) {
        if (m[1]) tokens.push({ t: "str", v: JSON.parse(m[1].startsWith("'") ? `"${m[1].slice(1, -1)}"` : m[1]) });
        else if (m[2]) tokens.push({ t: "id", v: m[2] });
        else if (m[3]) tokens.push({ t: "num", v: m[3] });
        else if (m[4] || m[5]) tokens.push({ t: "p", v: m[4] ?? m[5] });
    }
    return tokens;
}

function loadDts(file) {
    let info = dtsCache.get(file);
    if (info) return info;
    info = { file, imports: new Map(), aliases: new Map(), decls: new Map() };
    dtsCache.set(file, info);
    const tokens = tokenize(fs.readFileSync(file, "utf8"));
    let i = 0;
    const peek = (k = 0) => tokens[i + k];
    const is = (v, k = 0) => peek(k)?.v === v && peek(k)?.t !== "str";
    const expect = (v) => {
        if (!is(v)) throw new Error(`${file}: expected '${v}' near token ${i}`);
        i++;
    };
    const parseType = () => {
        if (is("|")) i++;
        const members = [parseIntersection()];
        while (is("|")) {
            i++;
            members.push(parseIntersection());
        }
        return members.length === 1 ? members[0] : { union: members };
    };
    const parseIntersection = () => {
        const members = [parsePostfix()];
        while (is("&")) {
            i++;
            members.push(parsePostfix());
        }
        return members.length === 1 ? members[0] : { all: members };
    };
    const parsePostfix = () => {
        let type = parsePrimary();
        while (is("[")) {
            if (is("]", 1)) {
                i += 2;
                type = { array: type };
            } else {
                i++;
                parseType();
                expect("]");
                type = { leaf: true };
            }
        }
        return type;
    };
    const parseGenericArgs = () => {
        expect("<");
        const args = [parseType()];
        while (is(",")) {
            i++;
            args.push(parseType());
        }
        expect(">");
        return args;
    };
    const parsePrimary = () => {
        const token = peek();
        if (is("{")) return parseObject();
        if (is("(")) {
            i++;
            const type = parseType();
            expect(")");
            return type;
        }
        if (token.t === "str" || token.t === "num") {
            i++;
            return { leaf: true };
        }
        if (token.t !== "id") throw new Error(`${file}: unexpected '${token.v}' in a type`);
        i++;
        if (token.v === "import" && is("(")) {
            while (!is(")")) i++;
            i++;
            while (is(".")) i += 2;
            if (is("<")) parseGenericArgs();
            return { leaf: true };
        }
        let name = token.v;
        while (is(".")) {
            name += "." + peek(1).v;
            i += 2;
        }
        const args = is("<") ? parseGenericArgs() : null;
        if (name === "Array" || name === "ReadonlyArray") return { array: args[0] };
        if (name === "Record") return { map: args[1] };
        if (["string", "number", "boolean", "any", "unknown", "object", "null", "undefined", "never", "true", "false", "bigint"].includes(name)) return { leaf: true };
        return { ref: name, file };
    };
    const parseObject = (base = []) => {
        expect("{");
        const props = {};
        let index = null;
        while (!is("}")) {
            if (is("readonly")) i++;
            if (is("[")) {
                i++;
                i++; // key name
                expect(":");
                parseType();
                expect("]");
                expect(":");
                index = parseType();
            } else {
                const key = peek().v;
                i++;
                if (is("?")) i++;
                if (is("(")) {
                    while (!is(";") && !is("}")) i++;
                } else {
                    expect(":");
                    props[key] = parseType();
                }
            }
            if (is(";") || is(",")) i++;
        }
        expect("}");
        return { object: props, index, base };
    };
    while (i < tokens.length) {
        if (is("import") && is("{", 1)) {
            i += 2;
            while (!is("}")) {
                if (is("type")) i++;
                const imported = peek().v;
                i++;
                let local = imported;
                if (is("as")) {
                    local = peek(1).v;
                    i += 2;
                }
                info.imports.set(local, { module: null, imported });
                if (is(",")) i++;
            }
            i++;
            expect("from");
            const module = peek().v;
            i++;
            for (const entry of info.imports.values()) entry.module ??= module;
        } else if (is("export") && is("type", 1) && is("{", 2)) {
            i += 3;
            while (!is("}")) {
                const local = peek().v;
                i++;
                let exported = local;
                if (is("as")) {
                    exported = peek(1).v;
                    i += 2;
                }
                if (exported !== local) info.aliases.set(exported, local);
                if (is(",")) i++;
            }
            i++;
        } else if (is("interface") && peek(1)?.t === "id") {
            const name = peek(1).v;
            i += 2;
            const base = [];
            if (is("extends")) {
                i++;
                while (!is("{")) {
                    if (peek().t === "id") base.push({ ref: peek().v, file });
                    i++;
                }
            }
            info.decls.set(name, parseObject(base));
        } else if (is("type") && peek(1)?.t === "id" && (is("=", 2) || is("<", 2))) {
            const name = peek(1).v;
            i += 2;
            if (is("<")) parseGenericArgs();
            expect("=");
            info.decls.set(name, parseType());
        } else {
            i++;
        }
    }
    return info;
}

function moduleFile(fromFile, spec) {
    if (spec.startsWith(".")) return path.resolve(path.dirname(fromFile), spec.replace(/\.js$/, "") + ".d.ts");
    const parts = spec.split("/");
    const packageName = spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
    const subpath = parts.slice(spec.startsWith("@") ? 2 : 1).join("/") || "index";
    for (const candidate of [path.join(nodeModules, packageName, subpath + ".d.ts"), path.join(nodeModules, packageName, "dist", subpath + ".d.ts")]) {
        if (fs.existsSync(candidate)) return candidate;
    }
    throw new Error(`cannot find the declarations of ${spec}`);
}

const TYPE_META = { object: { apiVersion: { leaf: true }, kind: { leaf: true } }, index: null, base: [] };

function resolveRef(node) {
    let { ref: name, file } = node;
    for (let hops = 0; hops < 20; hops++) {
        if (name === "TypeMeta") return TYPE_META;
        const info = loadDts(file);
        if (info.decls.has(name)) return info.decls.get(name);
        if (info.aliases.has(name)) {
            name = info.aliases.get(name);
            continue;
        }
        const imported = info.imports.get(name);
        if (imported) {
            if (imported.imported === "TypeMeta") return TYPE_META;
            if (imported.module === "@kubernetes-models/base") return { leaf: true };
            file = moduleFile(file, imported.module);
            name = imported.imported;
            continue;
        }
        break;
    }
    throw new Error(`cannot resolve type ${node.ref} from ${node.file}`);
}

function objectShape(node, seen = new Set()) {
    // Flattens interfaces (with their bases) and intersections into one set of properties.
    if (node.ref) return seen.has(node) ? null : (seen.add(node), objectShape(resolveRef(node), seen));
    if (node.object) {
        const shape = { props: { ...node.object }, index: node.index };
        for (const base of node.base) {
            const inherited = objectShape(base, seen);
            if (inherited) {
                shape.props = { ...inherited.props, ...shape.props };
                shape.index ??= inherited.index;
            }
        }
        return shape;
    }
    if (node.all) {
        const shapes = node.all.map((m) => objectShape(m, seen)).filter(Boolean);
        return shapes.length ? { props: Object.assign({}, ...shapes.map((s) => s.props)), index: shapes.find((s) => s.index)?.index ?? null } : null;
    }
    return null;
}

function unknownFields(value, node, where, problems) {
    if (value === null || value === undefined || node.leaf) return;
    if (node.ref) return unknownFields(value, resolveRef(node), where, problems);
    if (node.union) {
        const candidates = node.union.map((m) => (m.ref ? resolveRef(m) : m))
            .filter((m) => (Array.isArray(value) ? m.array : isObject(value) && (m.object || m.map || m.all)));
        if (candidates.length === 1) unknownFields(value, candidates[0], where, problems);
        return;
    }
    if (node.array) {
        if (Array.isArray(value)) value.forEach((item, i) => unknownFields(item, node.array, `${where}[${i}]`, problems));
        return;
    }
    if (node.map) {
        if (isObject(value)) for (const [k, v] of Object.entries(value)) unknownFields(v, node.map, `${where}.${k}`, problems);
        return;
    }
    const shape = objectShape(node);
    if (!shape || !isObject(value)) return;
    for (const [key, child] of Object.entries(value)) {
        const at = where ? `${where}.${key}` : key;
        if (shape.props[key]) unknownFields(child, shape.props[key], at, problems);
        else if (shape.index) unknownFields(child, shape.index, at, problems);
        else problems.push(`unknown field ${at} (the API server refuses it; check the spelling)`);
    }
}

function fieldProblems(obj) {
    const group = groupOf(obj.apiVersion);
    const file = path.join(nodeModules, "kubernetes-models", ...(group ? [group] : []), versionOf(obj.apiVersion), `${obj.kind}.d.ts`);
    if (!fs.existsSync(file)) return [];
    const problems = [];
    unknownFields(obj, { ref: `I${obj.kind}`, file }, "", problems);
    return problems;
}

// ───────────────────────── cross-references ─────────────────────────

function selectorMatches(selector, labels = {}) {
    if (!selector) return false;
    for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
    for (const e of selector.matchExpressions ?? []) {
        const has = Object.hasOwn(labels, e.key);
        if (e.operator === "In" && !(has && e.values.includes(labels[e.key]))) return false;
        if (e.operator === "NotIn" && has && e.values.includes(labels[e.key])) return false;
        if (e.operator === "Exists" && !has) return false;
        if (e.operator === "DoesNotExist" && has) return false;
    }
    return true;
}

const showSelector = (s) => `{${[...Object.entries(s?.matchLabels ?? s ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(s?.matchExpressions ?? []).map((e) => `${e.key} ${e.operator} ${(e.values ?? []).join(",")}`)].join(", ")}}`;

function crossReferenceProblems(objects) {
    const problems = new Map(objects.map((o) => [o, []]));
    const report = (obj, message) => problems.get(obj).push(message);
    const find = (kind, ns, name) => objects.find((o) => o.kind === kind && (o.metadata.namespace ?? "") === (ns ?? "") && o.metadata.name === name);
    const namespaces = objects.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name);
    const workloads = objects.filter((o) => podTemplates(o).length > 0).map((o) => ({
        obj: o, ns: o.metadata.namespace ?? "", pod: podTemplates(o)[0], labels: podTemplates(o)[0].metadata?.labels ?? {},
    }));
    const podsSelectedBy = (ns, selector) => workloads.filter((w) => w.ns === (ns ?? "") && selectorMatches(selector, w.labels));
    const containerPort = (container, port) => (container.ports ?? []).find((p) => (typeof port === "string" ? p.name === port : p.containerPort === port));
    const podHasPort = (w, port) => allContainers(w.pod.spec ?? {}).some((c) => containerPort(c, port));
    const dataKeys = (o) => new Set([...Object.keys(o.data ?? {}), ...Object.keys(o.binaryData ?? {}), ...Object.keys(o.stringData ?? {})]);

    for (const obj of objects) {
        const ns = obj.metadata.namespace;
        if (!CLUSTER_SCOPED.has(obj.kind)) {
            if (!ns) report(obj, "has no namespace: it would land in whatever namespace kubectl points at (set namespace: in the kustomization)");
            else if (namespaces.length && !namespaces.includes(ns)) report(obj, `is in namespace '${ns}', which this overlay does not create`);
        }
    }

    for (const w of workloads) {
        const { obj, ns, pod } = w;
        const spec = pod.spec ?? {};
        const where = (c) => `container ${c.name}`;
        if (obj.kind !== "Pod" && obj.kind !== "Job" && obj.kind !== "CronJob" && !selectorMatches(obj.spec?.selector, w.labels)) {
            report(obj, `spec.selector ${showSelector(obj.spec?.selector)} does not match its own pod labels ${showSelector(w.labels)}`);
        }
        if (obj.kind === "StatefulSet" && obj.spec?.serviceName && !find("Service", ns, obj.spec.serviceName)) {
            report(obj, `spec.serviceName '${obj.spec.serviceName}' names no Service in ${ns}`);
        }
        for (const constraint of spec.topologySpreadConstraints ?? []) {
            if (!selectorMatches(constraint.labelSelector, w.labels)) report(obj, `topologySpreadConstraints selector ${showSelector(constraint.labelSelector)} does not match its own pods`);
        }

        const volumes = new Set((spec.volumes ?? []).map((v) => v.name));
        for (const claim of obj.spec?.volumeClaimTemplates ?? []) volumes.add(claim.metadata?.name);
        for (const volume of spec.volumes ?? []) {
            if (volume.configMap) {
                const cm = find("ConfigMap", ns, volume.configMap.name);
                if (!cm && !volume.configMap.optional) report(obj, `volume ${volume.name}: ConfigMap '${volume.configMap.name}' does not exist in ${ns}`);
                for (const item of volume.configMap.items ?? []) if (cm && !dataKeys(cm).has(item.key)) report(obj, `volume ${volume.name}: ConfigMap '${cm.metadata.name}' has no key '${item.key}'`);
            }
            if (volume.secret) {
                const secret = find("Secret", ns, volume.secret.secretName);
                if (!secret && !volume.secret.optional) report(obj, `volume ${volume.name}: Secret '${volume.secret.secretName}' does not exist in ${ns}`);
                for (const item of volume.secret.items ?? []) if (secret && !dataKeys(secret).has(item.key)) report(obj, `volume ${volume.name}: Secret '${secret.metadata.name}' has no key '${item.key}'`);
            }
            if (volume.persistentVolumeClaim && !find("PersistentVolumeClaim", ns, volume.persistentVolumeClaim.claimName)) {
                report(obj, `volume ${volume.name}: PersistentVolumeClaim '${volume.persistentVolumeClaim.claimName}' does not exist in ${ns}`);
            }
        }

        // Security: the namespace enforces the "restricted" Pod Security Standard; fail here first.
        const podSecurity = spec.securityContext ?? {};
        const writableRootReason = pod.metadata?.annotations?.["imagegen.io/writable-root-filesystem"];
        for (const flag of ["hostNetwork", "hostPID", "hostIPC"]) if (spec[flag]) report(obj, `${flag} is not allowed`);
        if (spec.automountServiceAccountToken !== false) report(obj, "automountServiceAccountToken must be false: nothing here talks to the Kubernetes API");

        const names = new Set();
        const portNames = new Set();
        for (const c of allContainers(spec)) {
            if (names.has(c.name)) report(obj, `two containers are named '${c.name}'`);
            names.add(c.name);
            for (const p of c.ports ?? []) {
                if (p.name && portNames.has(p.name)) report(obj, `port name '${p.name}' is used twice in the pod`);
                if (p.name) portNames.add(p.name);
            }
            const image = parseImage(String(c.image ?? ""));
            if (!image.tag && !image.digest) report(obj, `${where(c)}: image '${c.image}' has no tag or digest (set it with images: in the kustomization)`);
            const r = c.resources ?? {};
            for (const [section, resource] of [["requests", "cpu"], ["requests", "memory"], ["limits", "memory"]]) {
                if (r[section]?.[resource] === undefined) report(obj, `${where(c)}: resources.${section}.${resource} is not set`);
            }

            const sc = c.securityContext ?? {};
            if ((sc.runAsNonRoot ?? podSecurity.runAsNonRoot) !== true) report(obj, `${where(c)}: runAsNonRoot must be true`);
            if ((sc.runAsUser ?? podSecurity.runAsUser) === 0) report(obj, `${where(c)}: runAsUser 0 is root`);
            if (!["RuntimeDefault", "Localhost"].includes((sc.seccompProfile ?? podSecurity.seccompProfile)?.type)) report(obj, `${where(c)}: seccompProfile must be RuntimeDefault`);
            if (sc.allowPrivilegeEscalation !== false) report(obj, `${where(c)}: allowPrivilegeEscalation must be false`);
            if (sc.privileged) report(obj, `${where(c)}: privileged is not allowed`);
            if (!(sc.capabilities?.drop ?? []).includes("ALL")) report(obj, `${where(c)}: capabilities.drop must include ALL`);
            if ((sc.capabilities?.add ?? []).some((cap) => cap !== "NET_BIND_SERVICE")) report(obj, `${where(c)}: capabilities.add beyond NET_BIND_SERVICE is not allowed`);
            if (sc.readOnlyRootFilesystem !== true && !writableRootReason) {
                report(obj, `${where(c)}: readOnlyRootFilesystem must be true (or say why not in the pod annotation imagegen.io/writable-root-filesystem)`);
            }

            for (const kind of ["startupProbe", "readinessProbe", "livenessProbe"]) {
                const probe = c[kind];
                if (!probe) continue;
                const port = probe.httpGet?.port ?? probe.tcpSocket?.port ?? probe.grpc?.port;
                if (port !== undefined && !containerPort(c, port)) {
                    report(obj, `${where(c)}: ${kind} port ${JSON.stringify(port)} is not a port of the container (${(c.ports ?? []).map((p) => p.name ?? p.containerPort).join(", ") || "none"})`);
                }
            }
            for (const mount of c.volumeMounts ?? []) {
                if (!volumes.has(mount.name)) report(obj, `${where(c)}: volumeMount '${mount.name}' names no volume of the pod`);
            }

            // The environment the process sees: envFrom first, env over it.
            const environment = new Map();
            for (const source of c.envFrom ?? []) {
                const ref = source.configMapRef ?? source.secretRef;
                const kind = source.configMapRef ? "ConfigMap" : "Secret";
                const target = find(kind, ns, ref?.name);
                if (!target) {
                    if (!ref?.optional) report(obj, `${where(c)}: envFrom ${kind} '${ref?.name}' does not exist in ${ns}`);
                    continue;
                }
                for (const key of dataKeys(target)) {
                    environment.set((source.prefix ?? "") + key, kind === "ConfigMap" ? target.data?.[key] : null);
                }
            }
            const defined = new Set(environment.keys());
            const listed = new Set();
            for (const env of c.env ?? []) {
                if (listed.has(env.name)) report(obj, `${where(c)}: env ${env.name} is set twice; only the last one counts`);
                listed.add(env.name);
                for (const ref of String(env.value ?? "").matchAll(/\$\(([^)]+)\)/g)) {
                    if (!defined.has(ref[1])) report(obj, `${where(c)}: env ${env.name} refers to $(${ref[1]}), which is not defined before it`);
                }
                defined.add(env.name);
                const keyRef = env.valueFrom?.configMapKeyRef ?? env.valueFrom?.secretKeyRef;
                if (keyRef) {
                    const kind = env.valueFrom.configMapKeyRef ? "ConfigMap" : "Secret";
                    const target = find(kind, ns, keyRef.name);
                    if (!target) {
                        if (!keyRef.optional) report(obj, `${where(c)}: env ${env.name} reads ${kind} '${keyRef.name}', which does not exist in ${ns}`);
                    } else if (!dataKeys(target).has(keyRef.key) && !keyRef.optional) {
                        report(obj, `${where(c)}: env ${env.name} reads key '${keyRef.key}' of ${kind} '${target.metadata.name}', which has only: ${[...dataKeys(target)].join(", ") || "no keys"}`);
                    }
                    environment.set(env.name, kind === "ConfigMap" ? target?.data?.[keyRef.key] : null);
                } else {
                    environment.set(env.name, env.valueFrom ? null : String(env.value ?? ""));
                }
            }
            for (const arg of [...(c.command ?? []), ...(c.args ?? [])]) {
                for (const ref of String(arg).matchAll(/\$\(([^)]+)\)/g)) {
                    if (!defined.has(ref[1])) report(obj, `${where(c)}: command/args refer to $(${ref[1]}), which is not defined`);
                }
            }

            // .NET service discovery: services__<service>__<endpoint>__<n> = <scheme>://<host>:<port>.
            for (const [key, value] of environment) {
                const match = /^services__(.+)__([^_]+)__\d+$/.exec(key);
                if (!match || value === null || value === undefined) continue;
                let url;
                try {
                    url = new URL(value);
                } catch {
                    report(obj, `${where(c)}: ${key}=${value} is not a URL`);
                    continue;
                }
                const [host, hostNamespace = ns] = url.hostname.split(".");
                const service = find("Service", hostNamespace, host);
                const port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
                if (host !== match[1]) report(obj, `${where(c)}: ${key} points at '${host}', not at the Service '${match[1]}' its name says`);
                if (!service) report(obj, `${where(c)}: ${key}=${value}: no Service '${host}' in ${hostNamespace}`);
                else if (!(service.spec?.ports ?? []).some((p) => p.port === port)) {
                    report(obj, `${where(c)}: ${key}=${value}: Service '${host}' has no port ${port} (it has ${(service.spec?.ports ?? []).map((p) => p.port).join(", ")})`);
                }
            }
        }
    }

    for (const obj of objects) {
        const ns = obj.metadata.namespace ?? "";
        if (obj.kind === "Service" && obj.spec?.type !== "ExternalName") {
            const selector = obj.spec?.selector;
            if (!selector || Object.keys(selector).length === 0) {
                report(obj, "has no selector: it would route to no pod");
                continue;
            }
            const pods = podsSelectedBy(ns, { matchLabels: selector });
            if (pods.length === 0) {
                report(obj, `spec.selector ${showSelector(selector)} matches no pod template in ${ns}`);
                continue;
            }
            for (const port of obj.spec?.ports ?? []) {
                const target = port.targetPort ?? port.port;
                for (const w of pods) {
                    if (!podHasPort(w, target)) report(obj, `port ${port.name ?? port.port}: targetPort ${JSON.stringify(target)} is not a container port of ${describe(w.obj)}`);
                }
            }
        }
        if (obj.kind === "PodDisruptionBudget" && podsSelectedBy(ns, obj.spec?.selector).length === 0) {
            report(obj, `spec.selector ${showSelector(obj.spec?.selector)} matches no pod template in ${ns}`);
        }
        if (obj.kind === "HorizontalPodAutoscaler") {
            const ref = obj.spec?.scaleTargetRef ?? {};
            const target = find(ref.kind, ns, ref.name);
            if (!target) {
                report(obj, `scaleTargetRef ${ref.kind} '${ref.name}' does not exist in ${ns}`);
            } else {
                if (target.spec?.replicas !== undefined) report(obj, `${describe(target)} sets spec.replicas, which resets the autoscaler's count on every apply; leave it out`);
                if ((obj.spec?.minReplicas ?? 1) > obj.spec?.maxReplicas) report(obj, "minReplicas is above maxReplicas");
                for (const metric of obj.spec?.metrics ?? []) {
                    const resource = metric.resource?.name;
                    if (metric.type !== "Resource" || metric.resource?.target?.type !== "Utilization") continue;
                    for (const c of podTemplates(target)[0]?.spec?.containers ?? []) {
                        if (c.resources?.requests?.[resource] === undefined) report(obj, `scales on ${resource} utilization, but container ${c.name} of ${describe(target)} requests no ${resource}`);
                    }
                }
            }
        }
        if (obj.kind === "Ingress") {
            const backends = [obj.spec?.defaultBackend, ...(obj.spec?.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend))].filter(Boolean);
            for (const backend of backends) {
                if (!backend.service) continue;
                const service = find("Service", ns, backend.service.name);
                const port = backend.service.port?.name ?? backend.service.port?.number;
                if (!service) report(obj, `backend Service '${backend.service.name}' does not exist in ${ns}`);
                else if (!(service.spec?.ports ?? []).some((p) => p.name === port || p.port === port)) report(obj, `backend Service '${backend.service.name}' has no port ${JSON.stringify(port)}`);
            }
        }
        if (obj.kind === "NetworkPolicy") {
            const selected = podsSelectedBy(ns, obj.spec?.podSelector);
            if (selected.length === 0) report(obj, `spec.podSelector ${showSelector(obj.spec?.podSelector)} matches no pod template in ${ns}`);
            for (const rule of obj.spec?.ingress ?? []) {
                for (const peer of rule.from ?? []) {
                    if (peer.podSelector && !peer.namespaceSelector && podsSelectedBy(ns, peer.podSelector).length === 0) {
                        report(obj, `ingress from podSelector ${showSelector(peer.podSelector)} matches no pod template in ${ns}`);
                    }
                }
                for (const port of rule.ports ?? []) {
                    if (port.port !== undefined && selected.length && !selected.some((w) => podHasPort(w, port.port))) {
                        report(obj, `ingress port ${JSON.stringify(port.port)} is not a container port of the selected pods`);
                    }
                }
            }
        }
    }
    return problems;
}

// ───────────────────────────── main ─────────────────────────────

async function validate(objects) {
    const crossReferences = crossReferenceProblems(objects);
    const results = [];
    for (const obj of objects) {
        let fields;
        try {
            fields = fieldProblems(obj);
        } catch (error) {
            fields = [`validate.mjs could not read the field declarations: ${error.message}`];
        }
        results.push({ obj, problems: [...(await schemaProblems(obj)), ...fields, ...crossReferences.get(obj)] });
    }
    return results;
}

async function main(argv) {
    const renderOnly = argv.includes("--render");
    const json = argv.includes("--json");
    const unknown = argv.filter((a) => a.startsWith("--") && a !== "--render" && a !== "--json");
    if (json && !renderOnly) {
        console.error("validate.mjs: --json goes with --render");
        return 2;
    }
    if (unknown.length) {
        console.error(`validate.mjs: unknown option ${unknown[0]}`);
        return 2;
    }
    let dirs = argv.filter((a) => !a.startsWith("--")).map((d) => path.resolve(d));
    if (dirs.length === 0) {
        const overlays = path.join(here, "overlays");
        dirs = fs.readdirSync(overlays).map((d) => path.join(overlays, d)).filter((d) => kustomizationFile(d)).sort();
    }
    if (!renderOnly && !fs.existsSync(path.join(nodeModules, "kubernetes-models"))) {
        console.error(`validate.mjs: kubernetes-models is not installed; run: npm ci --prefix ${show(here)}`);
        return 2;
    }

    let valid = 0;
    let invalid = 0;
    let unrendered = 0;
    for (const dir of dirs) {
        const notes = [];
        let objects;
        try {
            objects = render(dir, notes);
        } catch (error) {
            if (!(error instanceof RenderError)) throw error;
            console.log(`${show(dir)}: cannot render: ${error.message}`);
            unrendered++;
            continue;
        }
        if (renderOnly) {
            process.stdout.write(json
                ? JSON.stringify(objects) + "\n"
                : objects.map((o) => YAML.stringify(o, { sortMapEntries: true, indentSeq: false, version: "1.1" })).join("---\n"));
            for (const note of notes) console.error(`note: ${note}`);
            continue;
        }
        console.log(`${show(dir)}:`);
        for (const note of notes) console.log(`  note: ${note}`);
        let dirValid = 0;
        let dirInvalid = 0;
        for (const { obj, problems } of await validate(objects)) {
            if (problems.length === 0) {
                dirValid++;
                console.log(`  ok       ${describe(obj)}`);
            } else {
                dirInvalid++;
                console.log(`  INVALID  ${describe(obj)}`);
                for (const problem of problems) console.log(`           - ${problem}`);
            }
        }
        console.log(`  ${show(dir)}: ${dirValid} objects valid, ${dirInvalid} invalid`);
        valid += dirValid;
        invalid += dirInvalid;
    }
    if (renderOnly) return unrendered ? 1 : 0;
    console.log(`k8s: ${valid} objects valid, ${invalid} invalid${unrendered ? `, ${unrendered} kustomization${unrendered > 1 ? "s" : ""} not rendered` : ""}`);
    return invalid || unrendered ? 1 : 0;
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
    process.exitCode = await main(process.argv.slice(2));
}
