//! MCP revision 2026-07-28, compiled from the official schema.json by
//! tools/gen_mcp_schema.py. Do not edit by hand.

#[allow(unused_imports)]
use crate::mcp::schema::{Additional, Lit, Method, Revision, Schema, ANY};
#[allow(unused_imports)]
use crate::mcp::schema::{T_ARR, T_BOOL, T_INT, T_NULL, T_NUM, T_OBJ, T_STR};

pub static REVISION: Revision = Revision {
    version: "2026-07-28",
    nodes: &NODES,
    defs: &DEFS,
    methods: &METHODS,
};

static NODES: [Schema; 558] = [
    Schema {
        name: "Annotations",
        types: T_OBJ,
        props: &[("audience", 155), ("lastModified", 156), ("priority", 157)],
        ..ANY
    },
    Schema {
        name: "AudioContent",
        types: T_OBJ,
        props: &[
            ("_meta", 82),
            ("annotations", 0),
            ("data", 158),
            ("mimeType", 159),
            ("type", 160),
        ],
        required_mask: 0x1c,
        ..ANY
    },
    Schema {
        name: "BaseMetadata",
        types: T_OBJ,
        props: &[("name", 161), ("title", 162)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "BlobResourceContents",
        types: T_OBJ,
        props: &[
            ("_meta", 82),
            ("blob", 163),
            ("mimeType", 164),
            ("uri", 165),
        ],
        required_mask: 0xa,
        ..ANY
    },
    Schema {
        name: "BooleanSchema",
        types: T_OBJ,
        props: &[
            ("default", 166),
            ("description", 167),
            ("title", 168),
            ("type", 169),
        ],
        required_mask: 0x8,
        ..ANY
    },
    Schema {
        name: "CacheableResult",
        types: T_OBJ,
        props: &[
            ("_meta", 123),
            ("cacheScope", 170),
            ("resultType", 171),
            ("ttlMs", 172),
        ],
        required_mask: 0xe,
        ..ANY
    },
    Schema {
        name: "CallToolRequest",
        types: T_OBJ,
        props: &[
            ("id", 110),
            ("jsonrpc", 173),
            ("method", 174),
            ("params", 7),
        ],
        required_mask: 0xf,
        ..ANY
    },
    Schema {
        name: "CallToolRequestParams",
        types: T_OBJ,
        props: &[
            ("_meta", 111),
            ("arguments", 175),
            ("inputResponses", 51),
            ("name", 176),
            ("requestState", 177),
        ],
        required_mask: 0x9,
        ..ANY
    },
    Schema {
        name: "CallToolResult",
        types: T_OBJ,
        props: &[
            ("_meta", 123),
            ("content", 178),
            ("isError", 179),
            ("resultType", 180),
            ("structuredContent", 181),
        ],
        required_mask: 0xa,
        ..ANY
    },
    Schema {
        name: "CallToolResultResponse",
        types: T_OBJ,
        props: &[("id", 110), ("jsonrpc", 182), ("result", 183)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "CancelledNotification",
        types: T_OBJ,
        props: &[("jsonrpc", 184), ("method", 185), ("params", 11)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "CancelledNotificationParams",
        types: T_OBJ,
        props: &[("_meta", 89), ("reason", 186), ("requestId", 110)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "ClientCapabilities",
        types: T_OBJ,
        props: &[
            ("elicitation", 187),
            ("experimental", 188),
            ("extensions", 189),
            ("roots", 190),
            ("sampling", 191),
        ],
        ..ANY
    },
    Schema {
        name: "ClientNotification",
        types: T_OBJ,
        props: &[("jsonrpc", 192), ("method", 193), ("params", 11)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "ClientRequest",
        any_of: &[25, 71, 68, 105, 137, 65, 37, 76, 6, 16],
        ..ANY
    },
    Schema {
        name: "ClientResult",
        reference: Some(122),
        ..ANY
    },
    Schema {
        name: "CompleteRequest",
        types: T_OBJ,
        props: &[
            ("id", 110),
            ("jsonrpc", 194),
            ("method", 195),
            ("params", 17),
        ],
        required_mask: 0xf,
        ..ANY
    },
    Schema {
        name: "CompleteRequestParams",
        types: T_OBJ,
        props: &[
            ("_meta", 111),
            ("argument", 198),
            ("context", 201),
            ("ref", 202),
        ],
        required_mask: 0xb,
        ..ANY
    },
    Schema {
        name: "CompleteResult",
        types: T_OBJ,
        props: &[("_meta", 123), ("completion", 207), ("resultType", 208)],
        required_mask: 0x6,
        ..ANY
    },
    Schema {
        name: "CompleteResultResponse",
        types: T_OBJ,
        props: &[("id", 110), ("jsonrpc", 209), ("result", 18)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "ContentBlock",
        any_of: &[142, 44, 1, 115, 33],
        ..ANY
    },
    Schema {
        name: "CreateMessageRequest",
        types: T_OBJ,
        props: &[("method", 210), ("params", 22)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "CreateMessageRequestParams",
        types: T_OBJ,
        props: &[
            ("includeContext", 211),
            ("maxTokens", 212),
            ("messages", 213),
            ("metadata", 56),
            ("modelPreferences", 86),
            ("stopSequences", 215),
            ("systemPrompt", 216),
            ("temperature", 217),
            ("toolChoice", 148),
            ("tools", 218),
        ],
        required_mask: 0x6,
        ..ANY
    },
    Schema {
        name: "CreateMessageResult",
        types: T_OBJ,
        props: &[
            ("_meta", 82),
            ("content", 220),
            ("model", 221),
            ("role", 125),
            ("stopReason", 222),
        ],
        required_mask: 0xe,
        ..ANY
    },
    Schema {
        name: "Cursor",
        types: T_STR,
        ..ANY
    },
    Schema {
        name: "DiscoverRequest",
        types: T_OBJ,
        props: &[
            ("id", 110),
            ("jsonrpc", 223),
            ("method", 224),
            ("params", 112),
        ],
        required_mask: 0xf,
        ..ANY
    },
    Schema {
        name: "DiscoverResult",
        types: T_OBJ,
        props: &[
            ("_meta", 123),
            ("cacheScope", 225),
            ("capabilities", 129),
            ("instructions", 226),
            ("resultType", 227),
            ("supportedVersions", 229),
            ("ttlMs", 230),
        ],
        required_mask: 0x76,
        ..ANY
    },
    Schema {
        name: "DiscoverResultResponse",
        types: T_OBJ,
        props: &[("id", 110), ("jsonrpc", 231), ("result", 26)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "ElicitRequest",
        types: T_OBJ,
        props: &[("method", 232), ("params", 30)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "ElicitRequestFormParams",
        types: T_OBJ,
        props: &[("message", 233), ("mode", 234), ("requestedSchema", 240)],
        required_mask: 0x5,
        ..ANY
    },
    Schema {
        name: "ElicitRequestParams",
        any_of: &[29, 31],
        ..ANY
    },
    Schema {
        name: "ElicitRequestURLParams",
        types: T_OBJ,
        props: &[("message", 241), ("mode", 242), ("url", 243)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "ElicitResult",
        types: T_OBJ,
        props: &[("action", 244), ("content", 249)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "EmbeddedResource",
        types: T_OBJ,
        props: &[
            ("_meta", 82),
            ("annotations", 0),
            ("resource", 250),
            ("type", 251),
        ],
        required_mask: 0xc,
        ..ANY
    },
    Schema {
        name: "EmptyResult",
        reference: Some(122),
        ..ANY
    },
    Schema {
        name: "EnumSchema",
        any_of: &[154, 145, 153, 144, 64],
        ..ANY
    },
    Schema {
        name: "Error",
        types: T_OBJ,
        props: &[("code", 252), ("data", 253), ("message", 254)],
        required_mask: 0x5,
        ..ANY
    },
    Schema {
        name: "GetPromptRequest",
        types: T_OBJ,
        props: &[
            ("id", 110),
            ("jsonrpc", 255),
            ("method", 256),
            ("params", 38),
        ],
        required_mask: 0xf,
        ..ANY
    },
    Schema {
        name: "GetPromptRequestParams",
        types: T_OBJ,
        props: &[
            ("_meta", 111),
            ("arguments", 258),
            ("inputResponses", 51),
            ("name", 259),
            ("requestState", 260),
        ],
        required_mask: 0x9,
        ..ANY
    },
    Schema {
        name: "GetPromptResult",
        types: T_OBJ,
        props: &[
            ("_meta", 123),
            ("description", 261),
            ("messages", 262),
            ("resultType", 263),
        ],
        required_mask: 0xc,
        ..ANY
    },
    Schema {
        name: "GetPromptResultResponse",
        types: T_OBJ,
        props: &[("id", 110), ("jsonrpc", 264), ("result", 265)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "HeaderMismatchError",
        types: T_OBJ,
        props: &[("error", 268), ("id", 110), ("jsonrpc", 269)],
        required_mask: 0x5,
        ..ANY
    },
    Schema {
        name: "Icon",
        types: T_OBJ,
        props: &[
            ("mimeType", 270),
            ("sizes", 272),
            ("src", 273),
            ("theme", 274),
        ],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "Icons",
        types: T_OBJ,
        props: &[("icons", 275)],
        ..ANY
    },
    Schema {
        name: "ImageContent",
        types: T_OBJ,
        props: &[
            ("_meta", 82),
            ("annotations", 0),
            ("data", 276),
            ("mimeType", 277),
            ("type", 278),
        ],
        required_mask: 0x1c,
        ..ANY
    },
    Schema {
        name: "Implementation",
        types: T_OBJ,
        props: &[
            ("description", 279),
            ("icons", 280),
            ("name", 281),
            ("title", 282),
            ("version", 283),
            ("websiteUrl", 284),
        ],
        required_mask: 0x14,
        ..ANY
    },
    Schema {
        name: "InputRequest",
        any_of: &[21, 74, 28],
        ..ANY
    },
    Schema {
        name: "InputRequests",
        types: T_OBJ,
        additional: Additional::Schema(46),
        ..ANY
    },
    Schema {
        name: "InputRequiredResult",
        types: T_OBJ,
        props: &[
            ("_meta", 123),
            ("inputRequests", 47),
            ("requestState", 285),
            ("resultType", 286),
        ],
        required_mask: 0x8,
        ..ANY
    },
    Schema {
        name: "InputResponse",
        any_of: &[23, 75, 32],
        ..ANY
    },
    Schema {
        name: "InputResponseRequestParams",
        types: T_OBJ,
        props: &[
            ("_meta", 111),
            ("inputResponses", 51),
            ("requestState", 287),
        ],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "InputResponses",
        types: T_OBJ,
        additional: Additional::Schema(49),
        ..ANY
    },
    Schema {
        name: "InternalError",
        types: T_OBJ,
        props: &[("code", 288), ("data", 289), ("message", 290)],
        required_mask: 0x5,
        ..ANY
    },
    Schema {
        name: "InvalidParamsError",
        types: T_OBJ,
        props: &[("code", 291), ("data", 292), ("message", 293)],
        required_mask: 0x5,
        ..ANY
    },
    Schema {
        name: "InvalidRequestError",
        types: T_OBJ,
        props: &[("code", 294), ("data", 295), ("message", 296)],
        required_mask: 0x5,
        ..ANY
    },
    Schema {
        name: "JSONArray",
        types: T_ARR,
        items: Some(63),
        ..ANY
    },
    Schema {
        name: "JSONObject",
        types: T_OBJ,
        additional: Additional::Schema(63),
        ..ANY
    },
    Schema {
        name: "JSONRPCErrorResponse",
        types: T_OBJ,
        props: &[("error", 36), ("id", 110), ("jsonrpc", 297)],
        required_mask: 0x5,
        ..ANY
    },
    Schema {
        name: "JSONRPCMessage",
        any_of: &[60, 59, 62, 57],
        ..ANY
    },
    Schema {
        name: "JSONRPCNotification",
        types: T_OBJ,
        props: &[("jsonrpc", 298), ("method", 299), ("params", 300)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "JSONRPCRequest",
        types: T_OBJ,
        props: &[
            ("id", 110),
            ("jsonrpc", 301),
            ("method", 302),
            ("params", 303),
        ],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "JSONRPCResponse",
        any_of: &[62, 57],
        ..ANY
    },
    Schema {
        name: "JSONRPCResultResponse",
        types: T_OBJ,
        props: &[("id", 110), ("jsonrpc", 304), ("result", 122)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "JSONValue",
        any_of: &[56, 305, 306],
        ..ANY
    },
    Schema {
        name: "LegacyTitledEnumSchema",
        types: T_OBJ,
        props: &[
            ("default", 307),
            ("description", 308),
            ("enum", 310),
            ("enumNames", 312),
            ("title", 313),
            ("type", 314),
        ],
        required_mask: 0x24,
        ..ANY
    },
    Schema {
        name: "ListPromptsRequest",
        types: T_OBJ,
        props: &[
            ("id", 110),
            ("jsonrpc", 315),
            ("method", 316),
            ("params", 93),
        ],
        required_mask: 0xf,
        ..ANY
    },
    Schema {
        name: "ListPromptsResult",
        types: T_OBJ,
        props: &[
            ("_meta", 123),
            ("cacheScope", 317),
            ("nextCursor", 318),
            ("prompts", 319),
            ("resultType", 320),
            ("ttlMs", 321),
        ],
        required_mask: 0x3a,
        ..ANY
    },
    Schema {
        name: "ListPromptsResultResponse",
        types: T_OBJ,
        props: &[("id", 110), ("jsonrpc", 322), ("result", 66)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "ListResourceTemplatesRequest",
        types: T_OBJ,
        props: &[
            ("id", 110),
            ("jsonrpc", 323),
            ("method", 324),
            ("params", 93),
        ],
        required_mask: 0xf,
        ..ANY
    },
    Schema {
        name: "ListResourceTemplatesResult",
        types: T_OBJ,
        props: &[
            ("_meta", 123),
            ("cacheScope", 325),
            ("nextCursor", 326),
            ("resourceTemplates", 327),
            ("resultType", 328),
            ("ttlMs", 329),
        ],
        required_mask: 0x3a,
        ..ANY
    },
    Schema {
        name: "ListResourceTemplatesResultResponse",
        types: T_OBJ,
        props: &[("id", 110), ("jsonrpc", 330), ("result", 69)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "ListResourcesRequest",
        types: T_OBJ,
        props: &[
            ("id", 110),
            ("jsonrpc", 331),
            ("method", 332),
            ("params", 93),
        ],
        required_mask: 0xf,
        ..ANY
    },
    Schema {
        name: "ListResourcesResult",
        types: T_OBJ,
        props: &[
            ("_meta", 123),
            ("cacheScope", 333),
            ("nextCursor", 334),
            ("resources", 335),
            ("resultType", 336),
            ("ttlMs", 337),
        ],
        required_mask: 0x3a,
        ..ANY
    },
    Schema {
        name: "ListResourcesResultResponse",
        types: T_OBJ,
        props: &[("id", 110), ("jsonrpc", 338), ("result", 72)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "ListRootsRequest",
        types: T_OBJ,
        props: &[("method", 339), ("params", 340)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "ListRootsResult",
        types: T_OBJ,
        props: &[("roots", 341)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "ListToolsRequest",
        types: T_OBJ,
        props: &[
            ("id", 110),
            ("jsonrpc", 342),
            ("method", 343),
            ("params", 93),
        ],
        required_mask: 0xf,
        ..ANY
    },
    Schema {
        name: "ListToolsResult",
        types: T_OBJ,
        props: &[
            ("_meta", 123),
            ("cacheScope", 344),
            ("nextCursor", 345),
            ("resultType", 346),
            ("tools", 347),
            ("ttlMs", 348),
        ],
        required_mask: 0x3a,
        ..ANY
    },
    Schema {
        name: "ListToolsResultResponse",
        types: T_OBJ,
        props: &[("id", 110), ("jsonrpc", 349), ("result", 77)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "LoggingLevel",
        types: T_STR,
        enumeration: &[
            Lit::Str("alert"),
            Lit::Str("critical"),
            Lit::Str("debug"),
            Lit::Str("emergency"),
            Lit::Str("error"),
            Lit::Str("info"),
            Lit::Str("notice"),
            Lit::Str("warning"),
        ],
        ..ANY
    },
    Schema {
        name: "LoggingMessageNotification",
        types: T_OBJ,
        props: &[("jsonrpc", 350), ("method", 351), ("params", 81)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "LoggingMessageNotificationParams",
        types: T_OBJ,
        props: &[("_meta", 89), ("data", 352), ("level", 79), ("logger", 353)],
        required_mask: 0x6,
        ..ANY
    },
    Schema {
        name: "MetaObject",
        types: T_OBJ,
        ..ANY
    },
    Schema {
        name: "MethodNotFoundError",
        types: T_OBJ,
        props: &[("code", 354), ("data", 355), ("message", 356)],
        required_mask: 0x5,
        ..ANY
    },
    Schema {
        name: "MissingRequiredClientCapabilityError",
        types: T_OBJ,
        props: &[("error", 360), ("id", 110), ("jsonrpc", 361)],
        required_mask: 0x5,
        ..ANY
    },
    Schema {
        name: "ModelHint",
        types: T_OBJ,
        props: &[("name", 362)],
        ..ANY
    },
    Schema {
        name: "ModelPreferences",
        types: T_OBJ,
        props: &[
            ("costPriority", 363),
            ("hints", 364),
            ("intelligencePriority", 365),
            ("speedPriority", 366),
        ],
        ..ANY
    },
    Schema {
        name: "MultiSelectEnumSchema",
        any_of: &[153, 144],
        ..ANY
    },
    Schema {
        name: "Notification",
        types: T_OBJ,
        props: &[("method", 367), ("params", 368)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "NotificationMetaObject",
        types: T_OBJ,
        props: &[("io.modelcontextprotocol/subscriptionId", 110)],
        ..ANY
    },
    Schema {
        name: "NotificationParams",
        types: T_OBJ,
        props: &[("_meta", 89)],
        ..ANY
    },
    Schema {
        name: "NumberSchema",
        types: T_OBJ,
        props: &[
            ("default", 369),
            ("description", 370),
            ("maximum", 371),
            ("minimum", 372),
            ("title", 373),
            ("type", 374),
        ],
        required_mask: 0x20,
        ..ANY
    },
    Schema {
        name: "PaginatedRequest",
        types: T_OBJ,
        props: &[
            ("id", 110),
            ("jsonrpc", 375),
            ("method", 376),
            ("params", 93),
        ],
        required_mask: 0xf,
        ..ANY
    },
    Schema {
        name: "PaginatedRequestParams",
        types: T_OBJ,
        props: &[("_meta", 111), ("cursor", 377)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "PaginatedResult",
        types: T_OBJ,
        props: &[("_meta", 123), ("nextCursor", 378), ("resultType", 379)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "ParseError",
        types: T_OBJ,
        props: &[("code", 380), ("data", 381), ("message", 382)],
        required_mask: 0x5,
        ..ANY
    },
    Schema {
        name: "PrimitiveSchemaDefinition",
        any_of: &[133, 91, 4, 154, 145, 153, 144, 64],
        ..ANY
    },
    Schema {
        name: "ProgressNotification",
        types: T_OBJ,
        props: &[("jsonrpc", 383), ("method", 384), ("params", 98)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "ProgressNotificationParams",
        types: T_OBJ,
        props: &[
            ("_meta", 89),
            ("message", 385),
            ("progress", 386),
            ("progressToken", 99),
            ("total", 387),
        ],
        required_mask: 0xc,
        ..ANY
    },
    Schema {
        name: "ProgressToken",
        types: T_STR | T_INT,
        ..ANY
    },
    Schema {
        name: "Prompt",
        types: T_OBJ,
        props: &[
            ("_meta", 82),
            ("arguments", 388),
            ("description", 389),
            ("icons", 390),
            ("name", 391),
            ("title", 392),
        ],
        required_mask: 0x10,
        ..ANY
    },
    Schema {
        name: "PromptArgument",
        types: T_OBJ,
        props: &[
            ("description", 393),
            ("name", 394),
            ("required", 395),
            ("title", 396),
        ],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "PromptListChangedNotification",
        types: T_OBJ,
        props: &[("jsonrpc", 397), ("method", 398), ("params", 90)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "PromptMessage",
        types: T_OBJ,
        props: &[("content", 20), ("role", 125)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "PromptReference",
        types: T_OBJ,
        props: &[("name", 399), ("title", 400), ("type", 401)],
        required_mask: 0x5,
        ..ANY
    },
    Schema {
        name: "ReadResourceRequest",
        types: T_OBJ,
        props: &[
            ("id", 110),
            ("jsonrpc", 402),
            ("method", 403),
            ("params", 106),
        ],
        required_mask: 0xf,
        ..ANY
    },
    Schema {
        name: "ReadResourceRequestParams",
        types: T_OBJ,
        props: &[
            ("_meta", 111),
            ("inputResponses", 51),
            ("requestState", 404),
            ("uri", 405),
        ],
        required_mask: 0x9,
        ..ANY
    },
    Schema {
        name: "ReadResourceResult",
        types: T_OBJ,
        props: &[
            ("_meta", 123),
            ("cacheScope", 406),
            ("contents", 408),
            ("resultType", 409),
            ("ttlMs", 410),
        ],
        required_mask: 0x1e,
        ..ANY
    },
    Schema {
        name: "ReadResourceResultResponse",
        types: T_OBJ,
        props: &[("id", 110), ("jsonrpc", 411), ("result", 412)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "Request",
        types: T_OBJ,
        props: &[("method", 413), ("params", 414)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "RequestId",
        types: T_STR | T_INT,
        ..ANY
    },
    Schema {
        name: "RequestMetaObject",
        types: T_OBJ,
        props: &[
            ("io.modelcontextprotocol/clientCapabilities", 12),
            ("io.modelcontextprotocol/clientInfo", 45),
            ("io.modelcontextprotocol/logLevel", 79),
            ("io.modelcontextprotocol/protocolVersion", 415),
            ("progressToken", 99),
        ],
        required_mask: 0x9,
        ..ANY
    },
    Schema {
        name: "RequestParams",
        types: T_OBJ,
        props: &[("_meta", 111)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "Resource",
        types: T_OBJ,
        props: &[
            ("_meta", 82),
            ("annotations", 0),
            ("description", 416),
            ("icons", 417),
            ("mimeType", 418),
            ("name", 419),
            ("size", 420),
            ("title", 421),
            ("uri", 422),
        ],
        required_mask: 0x120,
        ..ANY
    },
    Schema {
        name: "ResourceContents",
        types: T_OBJ,
        props: &[("_meta", 82), ("mimeType", 423), ("uri", 424)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "ResourceLink",
        types: T_OBJ,
        props: &[
            ("_meta", 82),
            ("annotations", 0),
            ("description", 425),
            ("icons", 426),
            ("mimeType", 427),
            ("name", 428),
            ("size", 429),
            ("title", 430),
            ("type", 431),
            ("uri", 432),
        ],
        required_mask: 0x320,
        ..ANY
    },
    Schema {
        name: "ResourceListChangedNotification",
        types: T_OBJ,
        props: &[("jsonrpc", 433), ("method", 434), ("params", 90)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "ResourceRequestParams",
        types: T_OBJ,
        props: &[("_meta", 111), ("uri", 435)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "ResourceTemplate",
        types: T_OBJ,
        props: &[
            ("_meta", 82),
            ("annotations", 0),
            ("description", 436),
            ("icons", 437),
            ("mimeType", 438),
            ("name", 439),
            ("title", 440),
            ("uriTemplate", 441),
        ],
        required_mask: 0xa0,
        ..ANY
    },
    Schema {
        name: "ResourceTemplateReference",
        types: T_OBJ,
        props: &[("type", 442), ("uri", 443)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "ResourceUpdatedNotification",
        types: T_OBJ,
        props: &[("jsonrpc", 444), ("method", 445), ("params", 121)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "ResourceUpdatedNotificationParams",
        types: T_OBJ,
        props: &[("_meta", 89), ("uri", 446)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "Result",
        types: T_OBJ,
        props: &[("_meta", 123), ("resultType", 447)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "ResultMetaObject",
        types: T_OBJ,
        props: &[("io.modelcontextprotocol/serverInfo", 45)],
        ..ANY
    },
    Schema {
        name: "ResultType",
        types: T_STR,
        ..ANY
    },
    Schema {
        name: "Role",
        types: T_STR,
        enumeration: &[Lit::Str("assistant"), Lit::Str("user")],
        ..ANY
    },
    Schema {
        name: "Root",
        types: T_OBJ,
        props: &[("_meta", 82), ("name", 448), ("uri", 449)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "SamplingMessage",
        types: T_OBJ,
        props: &[("_meta", 82), ("content", 451), ("role", 125)],
        required_mask: 0x6,
        ..ANY
    },
    Schema {
        name: "SamplingMessageContentBlock",
        any_of: &[142, 44, 1, 151, 150],
        ..ANY
    },
    Schema {
        name: "ServerCapabilities",
        types: T_OBJ,
        props: &[
            ("completions", 56),
            ("experimental", 452),
            ("extensions", 453),
            ("logging", 56),
            ("prompts", 455),
            ("resources", 458),
            ("tools", 460),
        ],
        ..ANY
    },
    Schema {
        name: "ServerNotification",
        any_of: &[10, 97, 116, 135, 120, 102, 149, 80],
        ..ANY
    },
    Schema {
        name: "ServerResult",
        any_of: &[122, 48, 26, 72, 69, 107, 139, 66, 39, 77, 8, 18],
        ..ANY
    },
    Schema {
        name: "SingleSelectEnumSchema",
        any_of: &[154, 145],
        ..ANY
    },
    Schema {
        name: "StringSchema",
        types: T_OBJ,
        props: &[
            ("default", 461),
            ("description", 462),
            ("format", 463),
            ("maxLength", 464),
            ("minLength", 465),
            ("title", 466),
            ("type", 467),
        ],
        required_mask: 0x40,
        ..ANY
    },
    Schema {
        name: "SubscriptionFilter",
        types: T_OBJ,
        props: &[
            ("promptsListChanged", 468),
            ("resourceSubscriptions", 470),
            ("resourcesListChanged", 471),
            ("toolsListChanged", 472),
        ],
        ..ANY
    },
    Schema {
        name: "SubscriptionsAcknowledgedNotification",
        types: T_OBJ,
        props: &[("jsonrpc", 473), ("method", 474), ("params", 136)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "SubscriptionsAcknowledgedNotificationParams",
        types: T_OBJ,
        props: &[("_meta", 89), ("notifications", 134)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "SubscriptionsListenRequest",
        types: T_OBJ,
        props: &[
            ("id", 110),
            ("jsonrpc", 475),
            ("method", 476),
            ("params", 138),
        ],
        required_mask: 0xf,
        ..ANY
    },
    Schema {
        name: "SubscriptionsListenRequestParams",
        types: T_OBJ,
        props: &[("_meta", 111), ("notifications", 134)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "SubscriptionsListenResult",
        types: T_OBJ,
        props: &[("_meta", 140), ("resultType", 477)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "SubscriptionsListenResultMetaObject",
        types: T_OBJ,
        props: &[
            ("io.modelcontextprotocol/serverInfo", 45),
            ("io.modelcontextprotocol/subscriptionId", 110),
        ],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "SubscriptionsListenResultResponse",
        types: T_OBJ,
        props: &[("id", 110), ("jsonrpc", 478), ("result", 139)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "TextContent",
        types: T_OBJ,
        props: &[
            ("_meta", 82),
            ("annotations", 0),
            ("text", 479),
            ("type", 480),
        ],
        required_mask: 0xc,
        ..ANY
    },
    Schema {
        name: "TextResourceContents",
        types: T_OBJ,
        props: &[
            ("_meta", 82),
            ("mimeType", 481),
            ("text", 482),
            ("uri", 483),
        ],
        required_mask: 0xc,
        ..ANY
    },
    Schema {
        name: "TitledMultiSelectEnumSchema",
        types: T_OBJ,
        props: &[
            ("default", 485),
            ("description", 486),
            ("items", 491),
            ("maxItems", 492),
            ("minItems", 493),
            ("title", 494),
            ("type", 495),
        ],
        required_mask: 0x44,
        ..ANY
    },
    Schema {
        name: "TitledSingleSelectEnumSchema",
        types: T_OBJ,
        props: &[
            ("default", 496),
            ("description", 497),
            ("oneOf", 501),
            ("title", 502),
            ("type", 503),
        ],
        required_mask: 0x14,
        ..ANY
    },
    Schema {
        name: "Tool",
        types: T_OBJ,
        props: &[
            ("_meta", 82),
            ("annotations", 147),
            ("description", 504),
            ("icons", 505),
            ("inputSchema", 508),
            ("name", 509),
            ("outputSchema", 511),
            ("title", 512),
        ],
        required_mask: 0x30,
        ..ANY
    },
    Schema {
        name: "ToolAnnotations",
        types: T_OBJ,
        props: &[
            ("destructiveHint", 513),
            ("idempotentHint", 514),
            ("openWorldHint", 515),
            ("readOnlyHint", 516),
            ("title", 517),
        ],
        ..ANY
    },
    Schema {
        name: "ToolChoice",
        types: T_OBJ,
        props: &[("mode", 518)],
        ..ANY
    },
    Schema {
        name: "ToolListChangedNotification",
        types: T_OBJ,
        props: &[("jsonrpc", 519), ("method", 520), ("params", 90)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "ToolResultContent",
        types: T_OBJ,
        props: &[
            ("_meta", 82),
            ("content", 521),
            ("isError", 522),
            ("structuredContent", 523),
            ("toolUseId", 524),
            ("type", 525),
        ],
        required_mask: 0x32,
        ..ANY
    },
    Schema {
        name: "ToolUseContent",
        types: T_OBJ,
        props: &[
            ("_meta", 82),
            ("id", 526),
            ("input", 527),
            ("name", 528),
            ("type", 529),
        ],
        required_mask: 0x1e,
        ..ANY
    },
    Schema {
        name: "UnsupportedProtocolVersionError",
        types: T_OBJ,
        props: &[("error", 536), ("id", 110), ("jsonrpc", 537)],
        required_mask: 0x5,
        ..ANY
    },
    Schema {
        name: "UntitledMultiSelectEnumSchema",
        types: T_OBJ,
        props: &[
            ("default", 539),
            ("description", 540),
            ("items", 544),
            ("maxItems", 545),
            ("minItems", 546),
            ("title", 547),
            ("type", 548),
        ],
        required_mask: 0x44,
        ..ANY
    },
    Schema {
        name: "UntitledSingleSelectEnumSchema",
        types: T_OBJ,
        props: &[
            ("default", 549),
            ("description", 550),
            ("enum", 552),
            ("title", 553),
            ("type", 554),
        ],
        required_mask: 0x14,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(125),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_NUM,
        minimum: Some(0.0),
        maximum: Some(1.0),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("audio")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("boolean")),
        ..ANY
    },
    Schema {
        types: T_STR,
        enumeration: &[Lit::Str("private"), Lit::Str("public")],
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_INT,
        minimum: Some(0.0),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("tools/call")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(20),
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema { ..ANY },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        any_of: &[48, 8],
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/cancelled")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("form", 56), ("url", 56)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        additional: Additional::Schema(56),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        additional: Additional::Schema(56),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("context", 56), ("tools", 56)],
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/cancelled")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("completion/complete")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("name", 196), ("value", 197)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        additional: Additional::Schema(199),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("arguments", 200)],
        ..ANY
    },
    Schema {
        any_of: &[104, 119],
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_INT,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(205),
        max_items: Some(100),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("hasMore", 203), ("total", 204), ("values", 206)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("sampling/createMessage")),
        ..ANY
    },
    Schema {
        types: T_STR,
        enumeration: &[
            Lit::Str("allServers"),
            Lit::Str("none"),
            Lit::Str("thisServer"),
        ],
        ..ANY
    },
    Schema {
        types: T_INT,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(127),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(214),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_NUM,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(146),
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(128),
        ..ANY
    },
    Schema {
        any_of: &[142, 44, 1, 151, 150, 219],
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("server/discover")),
        ..ANY
    },
    Schema {
        types: T_STR,
        enumeration: &[Lit::Str("private"), Lit::Str("public")],
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(228),
        ..ANY
    },
    Schema {
        types: T_INT,
        minimum: Some(0.0),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("elicitation/create")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("form")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        additional: Additional::Schema(96),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(237),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("object")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[
            ("$schema", 235),
            ("properties", 236),
            ("required", 238),
            ("type", 239),
        ],
        required_mask: 0xa,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("url")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        enumeration: &[Lit::Str("accept"), Lit::Str("cancel"), Lit::Str("decline")],
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(245),
        ..ANY
    },
    Schema {
        types: T_STR | T_BOOL | T_NUM,
        ..ANY
    },
    Schema {
        any_of: &[246, 247],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        additional: Additional::Schema(248),
        ..ANY
    },
    Schema {
        any_of: &[143, 3],
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("resource")),
        ..ANY
    },
    Schema {
        types: T_INT,
        ..ANY
    },
    Schema { ..ANY },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("prompts/get")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        additional: Additional::Schema(257),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(103),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        any_of: &[48, 39],
        ..ANY
    },
    Schema {
        types: T_INT,
        konst: Some(Lit::Num(-32020.0)),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("code", 266)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        all_of: &[36, 267],
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(271),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        enumeration: &[Lit::Str("dark"), Lit::Str("light")],
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(42),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("image")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(42),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_INT,
        konst: Some(Lit::Num(-32603.0)),
        ..ANY
    },
    Schema { ..ANY },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_INT,
        konst: Some(Lit::Num(-32602.0)),
        ..ANY
    },
    Schema { ..ANY },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_INT,
        konst: Some(Lit::Num(-32600.0)),
        ..ANY
    },
    Schema { ..ANY },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(63),
        ..ANY
    },
    Schema {
        types: T_STR | T_BOOL | T_NUM | T_NULL,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(309),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(311),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("string")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("prompts/list")),
        ..ANY
    },
    Schema {
        types: T_STR,
        enumeration: &[Lit::Str("private"), Lit::Str("public")],
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(100),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_INT,
        minimum: Some(0.0),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("resources/templates/list")),
        ..ANY
    },
    Schema {
        types: T_STR,
        enumeration: &[Lit::Str("private"), Lit::Str("public")],
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(118),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_INT,
        minimum: Some(0.0),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("resources/list")),
        ..ANY
    },
    Schema {
        types: T_STR,
        enumeration: &[Lit::Str("private"), Lit::Str("public")],
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(113),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_INT,
        minimum: Some(0.0),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("roots/list")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("_meta", 82)],
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(126),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("tools/list")),
        ..ANY
    },
    Schema {
        types: T_STR,
        enumeration: &[Lit::Str("private"), Lit::Str("public")],
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(146),
        ..ANY
    },
    Schema {
        types: T_INT,
        minimum: Some(0.0),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/message")),
        ..ANY
    },
    Schema { ..ANY },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_INT,
        konst: Some(Lit::Num(-32601.0)),
        ..ANY
    },
    Schema { ..ANY },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_INT,
        konst: Some(Lit::Num(-32021.0)),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("requiredCapabilities", 12)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("code", 357), ("data", 358)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        all_of: &[36, 359],
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_NUM,
        minimum: Some(0.0),
        maximum: Some(1.0),
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(85),
        ..ANY
    },
    Schema {
        types: T_NUM,
        minimum: Some(0.0),
        maximum: Some(1.0),
        ..ANY
    },
    Schema {
        types: T_NUM,
        minimum: Some(0.0),
        maximum: Some(1.0),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_NUM,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_NUM,
        ..ANY
    },
    Schema {
        types: T_NUM,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        enumeration: &[Lit::Str("integer"), Lit::Str("number")],
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_INT,
        konst: Some(Lit::Num(-32700.0)),
        ..ANY
    },
    Schema { ..ANY },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/progress")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_NUM,
        ..ANY
    },
    Schema {
        types: T_NUM,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(101),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(42),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/prompts/list_changed")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("ref/prompt")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("resources/read")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        enumeration: &[Lit::Str("private"), Lit::Str("public")],
        ..ANY
    },
    Schema {
        any_of: &[143, 3],
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(407),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_INT,
        minimum: Some(0.0),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        any_of: &[48, 107],
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(42),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_INT,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(42),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_INT,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("resource_link")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/resources/list_changed")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(42),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("ref/resource")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/resources/updated")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(128),
        ..ANY
    },
    Schema {
        any_of: &[142, 44, 1, 151, 150, 450],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        additional: Additional::Schema(56),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        additional: Additional::Schema(56),
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("listChanged", 454)],
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("listChanged", 456), ("subscribe", 457)],
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("listChanged", 459)],
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        enumeration: &[
            Lit::Str("date"),
            Lit::Str("date-time"),
            Lit::Str("email"),
            Lit::Str("uri"),
        ],
        ..ANY
    },
    Schema {
        types: T_INT,
        ..ANY
    },
    Schema {
        types: T_INT,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("string")),
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(469),
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/subscriptions/acknowledged")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("subscriptions/listen")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("text")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(484),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("const", 487), ("title", 488)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(489),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("anyOf", 490)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        types: T_INT,
        ..ANY
    },
    Schema {
        types: T_INT,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("array")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("const", 498), ("title", 499)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(500),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("string")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(42),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("object")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("$schema", 506), ("type", 507)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("$schema", 510)],
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        enumeration: &[Lit::Str("auto"), Lit::Str("none"), Lit::Str("required")],
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/tools/list_changed")),
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(20),
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema { ..ANY },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("tool_result")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("tool_use")),
        ..ANY
    },
    Schema {
        types: T_INT,
        konst: Some(Lit::Num(-32022.0)),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(532),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("requested", 531), ("supported", 533)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("code", 530), ("data", 534)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        all_of: &[36, 535],
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(538),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(541),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("string")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("enum", 542), ("type", 543)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        types: T_INT,
        ..ANY
    },
    Schema {
        types: T_INT,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("array")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(551),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("string")),
        ..ANY
    },
    Schema {
        any_of: &[48, 8],
        ..ANY
    },
    Schema {
        any_of: &[48, 39],
        ..ANY
    },
    Schema {
        any_of: &[48, 107],
        ..ANY
    },
];

/// Definition names, sorted for binary search.
static DEFS: [(&str, u16); 155] = [
    ("Annotations", 0),
    ("AudioContent", 1),
    ("BaseMetadata", 2),
    ("BlobResourceContents", 3),
    ("BooleanSchema", 4),
    ("CacheableResult", 5),
    ("CallToolRequest", 6),
    ("CallToolRequestParams", 7),
    ("CallToolResult", 8),
    ("CallToolResultResponse", 9),
    ("CancelledNotification", 10),
    ("CancelledNotificationParams", 11),
    ("ClientCapabilities", 12),
    ("ClientNotification", 13),
    ("ClientRequest", 14),
    ("ClientResult", 15),
    ("CompleteRequest", 16),
    ("CompleteRequestParams", 17),
    ("CompleteResult", 18),
    ("CompleteResultResponse", 19),
    ("ContentBlock", 20),
    ("CreateMessageRequest", 21),
    ("CreateMessageRequestParams", 22),
    ("CreateMessageResult", 23),
    ("Cursor", 24),
    ("DiscoverRequest", 25),
    ("DiscoverResult", 26),
    ("DiscoverResultResponse", 27),
    ("ElicitRequest", 28),
    ("ElicitRequestFormParams", 29),
    ("ElicitRequestParams", 30),
    ("ElicitRequestURLParams", 31),
    ("ElicitResult", 32),
    ("EmbeddedResource", 33),
    ("EmptyResult", 34),
    ("EnumSchema", 35),
    ("Error", 36),
    ("GetPromptRequest", 37),
    ("GetPromptRequestParams", 38),
    ("GetPromptResult", 39),
    ("GetPromptResultResponse", 40),
    ("HeaderMismatchError", 41),
    ("Icon", 42),
    ("Icons", 43),
    ("ImageContent", 44),
    ("Implementation", 45),
    ("InputRequest", 46),
    ("InputRequests", 47),
    ("InputRequiredResult", 48),
    ("InputResponse", 49),
    ("InputResponseRequestParams", 50),
    ("InputResponses", 51),
    ("InternalError", 52),
    ("InvalidParamsError", 53),
    ("InvalidRequestError", 54),
    ("JSONArray", 55),
    ("JSONObject", 56),
    ("JSONRPCErrorResponse", 57),
    ("JSONRPCMessage", 58),
    ("JSONRPCNotification", 59),
    ("JSONRPCRequest", 60),
    ("JSONRPCResponse", 61),
    ("JSONRPCResultResponse", 62),
    ("JSONValue", 63),
    ("LegacyTitledEnumSchema", 64),
    ("ListPromptsRequest", 65),
    ("ListPromptsResult", 66),
    ("ListPromptsResultResponse", 67),
    ("ListResourceTemplatesRequest", 68),
    ("ListResourceTemplatesResult", 69),
    ("ListResourceTemplatesResultResponse", 70),
    ("ListResourcesRequest", 71),
    ("ListResourcesResult", 72),
    ("ListResourcesResultResponse", 73),
    ("ListRootsRequest", 74),
    ("ListRootsResult", 75),
    ("ListToolsRequest", 76),
    ("ListToolsResult", 77),
    ("ListToolsResultResponse", 78),
    ("LoggingLevel", 79),
    ("LoggingMessageNotification", 80),
    ("LoggingMessageNotificationParams", 81),
    ("MetaObject", 82),
    ("MethodNotFoundError", 83),
    ("MissingRequiredClientCapabilityError", 84),
    ("ModelHint", 85),
    ("ModelPreferences", 86),
    ("MultiSelectEnumSchema", 87),
    ("Notification", 88),
    ("NotificationMetaObject", 89),
    ("NotificationParams", 90),
    ("NumberSchema", 91),
    ("PaginatedRequest", 92),
    ("PaginatedRequestParams", 93),
    ("PaginatedResult", 94),
    ("ParseError", 95),
    ("PrimitiveSchemaDefinition", 96),
    ("ProgressNotification", 97),
    ("ProgressNotificationParams", 98),
    ("ProgressToken", 99),
    ("Prompt", 100),
    ("PromptArgument", 101),
    ("PromptListChangedNotification", 102),
    ("PromptMessage", 103),
    ("PromptReference", 104),
    ("ReadResourceRequest", 105),
    ("ReadResourceRequestParams", 106),
    ("ReadResourceResult", 107),
    ("ReadResourceResultResponse", 108),
    ("Request", 109),
    ("RequestId", 110),
    ("RequestMetaObject", 111),
    ("RequestParams", 112),
    ("Resource", 113),
    ("ResourceContents", 114),
    ("ResourceLink", 115),
    ("ResourceListChangedNotification", 116),
    ("ResourceRequestParams", 117),
    ("ResourceTemplate", 118),
    ("ResourceTemplateReference", 119),
    ("ResourceUpdatedNotification", 120),
    ("ResourceUpdatedNotificationParams", 121),
    ("Result", 122),
    ("ResultMetaObject", 123),
    ("ResultType", 124),
    ("Role", 125),
    ("Root", 126),
    ("SamplingMessage", 127),
    ("SamplingMessageContentBlock", 128),
    ("ServerCapabilities", 129),
    ("ServerNotification", 130),
    ("ServerResult", 131),
    ("SingleSelectEnumSchema", 132),
    ("StringSchema", 133),
    ("SubscriptionFilter", 134),
    ("SubscriptionsAcknowledgedNotification", 135),
    ("SubscriptionsAcknowledgedNotificationParams", 136),
    ("SubscriptionsListenRequest", 137),
    ("SubscriptionsListenRequestParams", 138),
    ("SubscriptionsListenResult", 139),
    ("SubscriptionsListenResultMetaObject", 140),
    ("SubscriptionsListenResultResponse", 141),
    ("TextContent", 142),
    ("TextResourceContents", 143),
    ("TitledMultiSelectEnumSchema", 144),
    ("TitledSingleSelectEnumSchema", 145),
    ("Tool", 146),
    ("ToolAnnotations", 147),
    ("ToolChoice", 148),
    ("ToolListChangedNotification", 149),
    ("ToolResultContent", 150),
    ("ToolUseContent", 151),
    ("UnsupportedProtocolVersionError", 152),
    ("UntitledMultiSelectEnumSchema", 153),
    ("UntitledSingleSelectEnumSchema", 154),
];

/// Methods, sorted by name for binary search.
static METHODS: [Method; 18] = [
    Method {
        name: "completion/complete",
        notification: false,
        message: 16,
        result: Some(18),
    },
    Method {
        name: "notifications/cancelled",
        notification: true,
        message: 10,
        result: None,
    },
    Method {
        name: "notifications/message",
        notification: true,
        message: 80,
        result: None,
    },
    Method {
        name: "notifications/progress",
        notification: true,
        message: 97,
        result: None,
    },
    Method {
        name: "notifications/prompts/list_changed",
        notification: true,
        message: 102,
        result: None,
    },
    Method {
        name: "notifications/resources/list_changed",
        notification: true,
        message: 116,
        result: None,
    },
    Method {
        name: "notifications/resources/updated",
        notification: true,
        message: 120,
        result: None,
    },
    Method {
        name: "notifications/subscriptions/acknowledged",
        notification: true,
        message: 135,
        result: None,
    },
    Method {
        name: "notifications/tools/list_changed",
        notification: true,
        message: 149,
        result: None,
    },
    Method {
        name: "prompts/get",
        notification: false,
        message: 37,
        result: Some(556),
    },
    Method {
        name: "prompts/list",
        notification: false,
        message: 65,
        result: Some(66),
    },
    Method {
        name: "resources/list",
        notification: false,
        message: 71,
        result: Some(72),
    },
    Method {
        name: "resources/read",
        notification: false,
        message: 105,
        result: Some(557),
    },
    Method {
        name: "resources/templates/list",
        notification: false,
        message: 68,
        result: Some(69),
    },
    Method {
        name: "server/discover",
        notification: false,
        message: 25,
        result: Some(26),
    },
    Method {
        name: "subscriptions/listen",
        notification: false,
        message: 137,
        result: Some(139),
    },
    Method {
        name: "tools/call",
        notification: false,
        message: 6,
        result: Some(555),
    },
    Method {
        name: "tools/list",
        notification: false,
        message: 76,
        result: Some(77),
    },
];
