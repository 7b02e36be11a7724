// Name rules (pure): which strings are Kubernetes names, Argo artifact names and safe key text.
// The one home of these rules: upload, download, GC, lifecycle and the plugin all import them.

/** C0 controls, DEL and C1 controls: they break logs, headers, shells, HTML and XML listings. */
export const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

// RFC 1123 label: what a namespace name is (at most 63 characters, no '.').
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
// RFC 1123 subdomain: what most object names (Workflow, Pod) are; never contains '/'.
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
// Argo's rule for artifact names (validate.go paramOrArtifactNameRegex).
const ARTIFACT_NAME = /^[-a-zA-Z0-9_]{1,253}$/;
// Kubernetes uids are UUIDs; accept any token of that alphabet so test clusters may use short ones.
const UID = /^[A-Za-z0-9][A-Za-z0-9-]{0,127}$/;

export const isNamespaceName = (s: unknown): s is string => typeof s === 'string' && DNS_LABEL.test(s);
export const isObjectName = (s: unknown): s is string => typeof s === 'string' && DNS_SUBDOMAIN.test(s);
export const isArtifactName = (s: unknown): s is string => typeof s === 'string' && ARTIFACT_NAME.test(s);
export const isUid = (s: unknown): s is string => typeof s === 'string' && UID.test(s);
export const hasControlChars = (s: string): boolean => CONTROL_CHARS.test(s);
