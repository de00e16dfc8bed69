// generated from spec/kling-o1-video-edit.yaml by scripts/generate.ts - do not edit
export interface paths {
    "/v1/videos/generations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * kling-o1-video-edit API
         * @description - Kling-O1 Video Edit (kling-o1-video-edit) model supports video editing
         *     - Asynchronous processing mode, use the returned task ID to [query
         *     status](/en/api-manual/task-management/get-task-detail)
         *     - Generated video links are valid for 24 hours, please save them
         *     promptly
         */
        post: operations["createVideoGeneration"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tasks/{task_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get task detail
         * @description Query the status of an asynchronous task by the `id` returned when it was created. When the task is
         *     `completed`, `results` lists the result URLs (for this API, the edited video; links are valid for 24 hours).
         *     When it is `failed`, `error` carries a string business error code, different from HTTP status codes.
         *
         *     Inferred (not stated by the provider's page, verify against the live API): the `404` response for an
         *     unknown task id; the `401`, `429`, `500`, `502` and `503` responses, modelled like the create operation's;
         *     that a failed task always carries `error` with both `code` and `message`; that `task_info` has the create
         *     response's shape; that `id` and `status` are always present.
         */
        get: operations["getTaskDetail"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        VideoGenerationRequest: {
            /**
             * @description Video generation model name
             * @default kling-o1-video-edit
             * @example kling-o1-video-edit
             */
            model: string;
            /**
             * @description Prompt describing how to edit the video
             * @example Make the video more cinematic
             */
            prompt: string;
            /**
             * @description Original video URL list for editing
             *
             *     **Note:**
             *     - Only `1` video per request
             *     - Supported video duration: `3` to `10` seconds (videos under `3` seconds are billed as `3` seconds,
             *       videos over `10` seconds are billed as `10` seconds)
             *     - Video size: up to `100MB`
             *     - Supported formats: `.mp4`, `.mov`
             *     - Video URL must be directly accessible by the server
             * @example [
             *       "https://example.com/video.mp4"
             *     ]
             */
            video_urls: string[];
            /**
             * @description Reference image URL list for specifying editing effect
             *
             *     **Note:**
             *     - Supports up to `4` reference images per request
             *     - Image size: up to `10MB`
             *     - Supported formats: `.jpg`, `.jpeg`, `.png`, `.webp`
             *     - Image URL must be directly accessible by the server
             * @example [
             *       "https://example.com/reference.jpg"
             *     ]
             */
            image_urls?: string[];
            /**
             * @description Video aspect ratio
             *
             *     **Options:**
             *     - `16:9`: Landscape video
             *     - `9:16`: Portrait video
             *     - `1:1`: Square video
             * @example 16:9
             * @enum {string}
             */
            aspect_ratio?: "16:9" | "9:16" | "1:1";
            /**
             * @description Whether to keep the original video sound
             *
             *     **Options:**
             *     - `true`: Keep the original video sound
             *     - `false`: Do not keep the original video sound
             * @example true
             */
            keep_original_sound?: boolean;
            /**
             * Format: uri
             * @description HTTPS callback URL for task completion
             *
             *     **Callback Timing:**
             *     - Triggered when task is completed, failed, or cancelled
             *     - Sent after billing confirmation
             *
             *     **Security Restrictions:**
             *     - HTTPS protocol only
             *     - Internal IP addresses are prohibited (127.0.0.1, 10.x.x.x, 172.16-31.x.x, 192.168.x.x, etc.)
             *     - URL length must not exceed `2048` characters
             *
             *     **Callback Mechanism:**
             *     - Timeout: `10` seconds
             *     - Maximum `3` retries after failure (at `1`/`2`/`4` seconds after failure)
             *     - Callback response format is consistent with task query API
             *     - 2xx status code is considered successful, other codes trigger retry
             * @example https://your-domain.com/webhooks/video-task-completed
             */
            callback_url?: string;
        };
        /** @description The created task. Inferred: `id` and `status` are always present. */
        VideoGenerationResponse: {
            /**
             * @description Task creation timestamp
             * @example 1757169743
             */
            created?: number;
            /**
             * @description Task ID
             * @example task-unified-1757169743-7cvnl5zw
             */
            id: string;
            /**
             * @description Actual model name used
             * @example kling-o1-video-edit
             */
            model?: string;
            /**
             * @description Task type
             * @enum {string}
             */
            object?: "video.generation.task";
            /**
             * @description Task progress percentage (0-100)
             * @example 0
             */
            progress?: number;
            status: components["schemas"]["TaskStatus"];
            /** @description Video task details */
            task_info?: components["schemas"]["VideoTaskInfo"];
            /**
             * @description Task output type
             * @example video
             * @enum {string}
             */
            type?: "text" | "image" | "audio" | "video";
            /** @description Usage and billing information */
            usage?: components["schemas"]["VideoUsage"];
        };
        /**
         * @description Task status
         * @example pending
         * @enum {string}
         */
        TaskStatus: "pending" | "processing" | "completed" | "failed";
        /**
         * @description Task status details, as returned by `GET /v1/tasks/{task_id}` and sent to `callback_url`.
         *     `results` is provided when the task is completed; `error` only when it failed.
         *     Inferred: `id` and `status` are always present, and a failed task always carries `error`.
         */
        TaskDetail: {
            /**
             * @description Task creation timestamp (seconds)
             * @example 1756817821
             */
            created?: number;
            /**
             * @description Task ID
             * @example task-unified-1756817821-4x3rx6ny
             */
            id: string;
            /**
             * @description The model used
             * @example kling-o1-video-edit
             */
            model?: string;
            /**
             * @description Task type
             * @enum {string}
             */
            object?: "image.generation.task" | "video.generation.task" | "audio.generation.task";
            /**
             * @description Task progress percentage (0-100)
             * @example 100
             */
            progress?: number;
            /** @description The result URLs, provided when completed (valid for 24 hours) */
            results?: string[];
            status: components["schemas"]["TaskStatus"];
            error?: components["schemas"]["TaskFailure"];
            task_info?: components["schemas"]["VideoTaskInfo"];
            /**
             * @description Task output type
             * @example video
             * @enum {string}
             */
            type?: "image" | "video" | "audio" | "text";
        } & (unknown & unknown);
        /** @description Only present when status is failed. Inferred: `code` and `message` are always present. */
        TaskFailure: {
            /**
             * @description Business error code, different from HTTP status codes
             * @example video_download_failed
             */
            code: string;
            /**
             * @description Error description
             * @example The source video could not be downloaded
             */
            message: string;
        };
        /** @description Inferred: every error response carries the `error` object (all the provider's examples do). */
        ErrorResponse: {
            error: components["schemas"]["ErrorDetail"];
        };
        ErrorDetail: {
            /** @description HTTP status error code */
            code?: number;
            /**
             * @description Error description
             * @example Invalid request parameter
             */
            message?: string;
            /**
             * @description Error type
             * @example invalid_request_error
             */
            type?: string;
            /**
             * @description Related parameter name
             * @example model
             */
            param?: string;
            /**
             * @description Suggestion for error resolution
             * @example kling-o1-video-edit
             */
            fallback_suggestion?: string;
        };
        /**
         * @description The error envelope of the task query operation. Its `error.code` is the integer HTTP status or a string
         *     business code (the provider's 400 example uses `invalid_task_id`).
         *     Inferred: the `error` object is always present.
         */
        TaskQueryErrorResponse: {
            error: {
                /** @description HTTP status error code, or a string business error code */
                code?: number | string;
                /** @description Error description */
                message?: string;
                /** @description Error type */
                type?: string;
                /** @description Related parameter name */
                param?: string;
                /** @description Suggestion for error resolution */
                fallback_suggestion?: string;
            };
        };
        VideoTaskInfo: {
            /**
             * @description Whether the task can be cancelled
             * @example true
             */
            can_cancel?: boolean;
            /**
             * @description Estimated completion time (seconds)
             * @example 300
             */
            estimated_time?: number;
            /**
             * @description Video duration (seconds)
             * @example 9
             */
            video_duration?: number;
        };
        /** @description Usage and billing information */
        VideoUsage: {
            /**
             * @description Billing rule
             * @example per_call
             * @enum {string}
             */
            billing_rule?: "per_call" | "per_token" | "per_second";
            /**
             * @description Estimated credits consumed
             * @example 7
             */
            credits_reserved?: number;
            /**
             * @description User group category
             * @example default
             */
            user_group?: string;
        };
    };
    responses: {
        /** @description Unauthenticated, invalid or expired token */
        Unauthorized: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": 401,
                 *         "message": "Invalid or expired token",
                 *         "type": "authentication_error"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorResponse"];
            };
        };
        /** @description Rate limit exceeded */
        RateLimited: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": 429,
                 *         "message": "Rate limit exceeded",
                 *         "type": "rate_limit_error",
                 *         "fallback_suggestion": "retry after 60 seconds"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorResponse"];
            };
        };
        /** @description Internal server error */
        InternalServerError: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": 500,
                 *         "message": "Internal server error",
                 *         "type": "internal_server_error",
                 *         "fallback_suggestion": "try again later"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorResponse"];
            };
        };
        /** @description Upstream service error */
        UpstreamError: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": 502,
                 *         "message": "Upstream AI service unavailable",
                 *         "type": "upstream_error",
                 *         "fallback_suggestion": "try different model"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorResponse"];
            };
        };
        /** @description Service temporarily unavailable */
        ServiceUnavailable: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": 503,
                 *         "message": "Service temporarily unavailable",
                 *         "type": "service_unavailable_error",
                 *         "fallback_suggestion": "retry after 30 seconds"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorResponse"];
            };
        };
    };
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    createVideoGeneration: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["VideoGenerationRequest"];
            };
        };
        responses: {
            /** @description Video generation task created successfully */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "created": 1757169743,
                     *       "id": "task-unified-1757169743-7cvnl5zw",
                     *       "model": "kling-o1-video-edit",
                     *       "object": "video.generation.task",
                     *       "progress": 0,
                     *       "status": "pending",
                     *       "task_info": {
                     *         "can_cancel": true,
                     *         "estimated_time": 300,
                     *         "video_duration": 9
                     *       },
                     *       "type": "video",
                     *       "usage": {
                     *         "billing_rule": "per_call",
                     *         "credits_reserved": 7,
                     *         "user_group": "default"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["VideoGenerationResponse"];
                };
            };
            /** @description Invalid request parameters */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": 400,
                     *         "message": "Invalid request parameter",
                     *         "type": "invalid_request_error"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            401: components["responses"]["Unauthorized"];
            /** @description Insufficient quota, recharge required */
            402: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": 402,
                     *         "message": "Insufficient quota",
                     *         "type": "insufficient_quota_error",
                     *         "fallback_suggestion": "https://ai.odkkk.com/apiv1/dashboard/billing"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Access denied */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": 403,
                     *         "message": "Access denied for this model",
                     *         "type": "permission_error",
                     *         "param": "model"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Resource not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": 404,
                     *         "message": "Specified model not found",
                     *         "type": "not_found_error",
                     *         "param": "model",
                     *         "fallback_suggestion": "kling-o1-video-edit"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalServerError"];
            502: components["responses"]["UpstreamError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getTaskDetail: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The task `id` returned by the create operation */
                task_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Task status details */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TaskDetail"];
                };
            };
            /** @description Invalid request parameters */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "invalid_task_id",
                     *         "message": "Invalid task ID format, must start with 'task-unified-'",
                     *         "type": "invalid_request_error",
                     *         "param": "task_id"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["TaskQueryErrorResponse"];
                };
            };
            401: components["responses"]["Unauthorized"];
            /** @description Task not found (inferred) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": 404,
                     *         "message": "Task not found",
                     *         "type": "not_found_error",
                     *         "param": "task_id"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["TaskQueryErrorResponse"];
                };
            };
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalServerError"];
            502: components["responses"]["UpstreamError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
}
