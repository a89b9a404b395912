"""What every endpoint of Tandem's API shares: paging, the JSON it reads, the shape of a refusal (for
every refusal, Django's own under /api/ included) and the schema's list of them, and `TandemAPI`, the
base of every endpoint."""

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import csrf, defaults
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, parsers, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import APIException
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.ids import LARGEST_ID, whole_number
from core.problems import ReportRefused

# Larger ids would fail in the database (a 500), not in validation.
MAX_ID = LARGEST_ID  # BigAutoField
# What Django's slug path converter matches: a network's slug (the pattern as the schema says it).
SLUG = re.compile(r"[-a-zA-Z0-9_]+")
SLUG_PATTERN = f"^{SLUG.pattern}$"
# Tandem's request bodies are three levels deep; Python's JSON parser overflows its stack past about 900
# (a RecursionError), and a value a few hundred levels deep would overflow later, when a problem names it.
MAX_JSON_DEPTH = 32


# The shape of a refusal


class ProblemOut(serializers.Serializer):
    line = serializers.IntegerField(required=False, help_text="The line of a file, where there is one.")
    column = serializers.CharField(
        required=False, help_text="The column of a file, or the field of a request: values[3].count."
    )
    message = serializers.CharField(help_text="What is wrong.")
    expected = serializers.CharField(required=False, help_text="What is expected instead.")
    month = serializers.CharField(required=False, help_text="The month (YYYY-MM) the problem belongs to.")


class RefusedOut(serializers.Serializer):
    detail = serializers.CharField(help_text="Why the request was refused.")
    problems = ProblemOut(
        many=True, help_text="Each thing to put right; empty where there is nothing to fix in the request."
    )


REFUSED = OpenApiResponse(RefusedOut, description="Bad input, with every problem listed; nothing was stored.")
NOT_SIGNED_IN = OpenApiResponse(
    RefusedOut, description="No or wrong credentials: send `Authorization: Token <token>`."
)


class Refused(APIException):
    """A 400 listing every problem: ``{"detail": ..., "problems": [{"column", "message", ...}]}``."""

    status_code = 400
    default_detail = "The request was refused."

    def __init__(self, detail: str, problems: list[dict[str, Any]]) -> None:
        super().__init__(detail)
        # Set after __init__, which would turn every value (line numbers too) into strings.
        self.detail = {"detail": detail, "problems": problems}


class TooLarge(APIException):
    status_code = 413
    default_detail = "The request is larger than Tandem takes."

    def __init__(self, exc: Exception) -> None:
        super().__init__()
        self.expected = _too_large_expected(exc)


def problems_from_errors(errors: Any, expected: dict[str, str], column: str = "") -> list[dict[str, Any]]:
    """A serializer's nested errors as problems, each naming its field as a path (``values[3].count``)
    and what that field expects (looked up by the field's own name)."""
    if isinstance(errors, dict):
        problems = []
        for key, value in errors.items():
            # A whole object's or list's errors belong to the object or list itself; a list's items
            # are keyed by their index.
            if key == "non_field_errors":
                at = column
            elif isinstance(key, int):
                at = f"{column}[{key}]"
            else:
                at = f"{column}.{key}" if column else key
            problems += problems_from_errors(value, expected, at)
        return problems
    if isinstance(errors, list) and any(isinstance(item, dict | list) for item in errors):
        problems = []
        for index, item in enumerate(errors):
            problems += problems_from_errors(item, expected, f"{column}[{index}]")
        return problems
    field = column.rsplit(".", 1)[-1].split("[", 1)[0]
    messages = errors if isinstance(errors, list) else [errors]
    return [
        {
            key: value
            for key, value in (
                ("column", column),
                ("message", str(message)),
                ("expected", expected.get(field)),
            )
            if value
        }
        for message in messages
    ]


def _too_large_expected(exc: Exception) -> str:
    if isinstance(exc, TooManyFieldsSent):
        return f"at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,} fields"
    if isinstance(exc, TooManyFilesSent):
        return f"at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES:,} files"
    return f"a body of at most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes (files are counted apart)"


def _problems_of(exc: APIException, detail: str, view: Any) -> list[dict[str, Any]]:
    """What to put right, for the refusals DRF words with a detail alone."""
    expected = ""
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        expected = "an Authorization header with a valid token"
    elif isinstance(exc, exceptions.MethodNotAllowed) and view is not None:
        expected = f"one of {', '.join(view.allowed_methods)}"
    elif isinstance(exc, exceptions.NotAcceptable):
        expected = "an Accept header that takes application/json"
    elif isinstance(exc, exceptions.UnsupportedMediaType) and view is not None:
        expected = f"a Content-Type of {' or '.join(parser.media_type for parser in view.get_parsers())}"
    elif isinstance(exc, exceptions.ParseError):
        expected = "a body of the Content-Type it names"
    elif isinstance(exc, TooLarge):
        expected = exc.expected
    else:
        return []  # 403, 404, 429: the detail says it all
    problem = {"message": detail, "expected": expected}
    return [{key: value for key, value in problem.items() if value}]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler with every refusal in the one shape of `Refused`: a serializer's errors become
    problems naming their fields, DRF's other refusals (parse errors, 401, 403, 404, 405, 406, 415, 429)
    keep their status and headers, and a body too large for Django is a 413 instead of Django's HTML
    400; a `ReportRefused` (bad data in a report or file) is a 400 with its problems, under the view's
    ``refused`` words. A JSON body nested deeper than Python's stack (read by a view with parsers of
    its own, such as the token view) is a 400. Anything else is a bug: None lets it be a 500."""
    if isinstance(exc, ReportRefused):
        # A refused submission: every problem the checks found, under what the view says was refused.
        view = context.get("view")
        exc = Refused(getattr(view, "refused", Refused.default_detail), [p.as_dict() for p in exc.problems])
    elif isinstance(exc, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        exc = TooLarge(exc)
    elif isinstance(exc, RecursionError):
        exc = exceptions.ParseError(f"The JSON is nested deeper than {MAX_JSON_DEPTH} levels.")
    elif isinstance(exc, SuspiciousOperation | BadRequest):
        exc = exceptions.ParseError("The request is malformed.")
    response = drf_exception_handler(exc, context)
    if response is None or isinstance(exc, Refused):
        return response
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "detail": "The request was refused.",
            "problems": problems_from_errors(exc.detail, {}),
        }
    else:
        detail = str(response.data["detail"])
        response.data = {"detail": detail, "problems": _problems_of(exc, detail, context.get("view"))}
    return response


# Refusals that never reach an API view: Django's handlers (config/urls.py) answer paths under /api/ in
# the problem format, and pages as before. With DEBUG on, Django shows its own debug pages instead.


def _for_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _problem_response(status: int, detail: str, problems: list[dict[str, Any]] | None = None) -> JsonResponse:
    return JsonResponse({"detail": detail, "problems": problems or []}, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _for_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        message = TooLarge.default_detail
        return _problem_response(
            413, message, [{"message": message, "expected": _too_large_expected(exception)}]
        )
    return _problem_response(400, "The request is malformed.")


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _for_api(request):
        return defaults.permission_denied(request, exception)
    return _problem_response(403, "You do not have permission to perform this action.")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _for_api(request):
        return defaults.page_not_found(request, exception)
    return _problem_response(404, "Not found: the API's endpoints are listed at /api/docs/.")


def server_error(request: HttpRequest) -> HttpResponse:
    if not _for_api(request):
        return defaults.server_error(request)
    return _problem_response(
        500, "Something went wrong on Tandem's side; the request may not have been completed."
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """`CSRF_FAILURE_VIEW`. The API's own views check CSRF (for a signed-in browser session) in DRF, whose
    refusal `exception_handler` words; this answers any other path under /api/."""
    if not _for_api(request):
        return csrf.csrf_failure(request, reason=reason)
    return _problem_response(403, f"CSRF Failed: {reason}")


# Reading requests, paging answers


class JSONParser(parsers.JSONParser):
    """DRF's, refusing JSON nested deeper than `MAX_JSON_DEPTH` with a 400."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        too_deep = exceptions.ParseError(f"The JSON is nested deeper than {MAX_JSON_DEPTH} levels.")
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise too_deep from None
        # Walked with a stack of its own, not recursion, for the same reason.
        stack = [(data, 1)]
        while stack:
            value, depth = stack.pop()
            if isinstance(value, dict | list):
                if depth > MAX_JSON_DEPTH:
                    raise too_deep
                children = value.values() if isinstance(value, dict) else value
                stack.extend((child, depth + 1) for child in children)
        return data


class Pagination(LimitOffsetPagination):
    """``limit`` from 1 to `max_limit` (`PAGE_SIZE` by default) and ``offset`` from 0: anything else is
    refused with a 400 listing both, rather than quietly replaced (DRF's way) or sent on to the database,
    which cannot take a limit of 23 digits (a 500). The schema states the same bounds."""

    max_limit = 1000

    def _bounds(self) -> dict[str, tuple[int, int, str]]:
        return {
            self.limit_query_param: (1, self.max_limit, f"a whole number from 1 to {self.max_limit:,}"),
            self.offset_query_param: (0, MAX_ID, "a whole number, 0 or more"),
        }

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list | None:
        problems = []
        for name, (low, high, expected) in self._bounds().items():
            text = request.query_params.get(name)
            if text is not None and whole_number(text, low=low, high=high) is None:
                problems.append(
                    {"column": name, "message": f"{text!r} is out of range.", "expected": expected}
                )
        if problems:
            raise Refused("The page was refused.", problems)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            low, high, _ = self._bounds()[parameter["name"]]
            parameter["schema"].update({"minimum": low, "maximum": high})
        return parameters


class TandemAPI:
    """The base of every endpoint: JSON with a depth limit, forms and files; pages of at most
    `Pagination.max_limit`. Authentication is the REST_FRAMEWORK setting's (token first)."""

    parser_classes = [JSONParser, parsers.FormParser, parsers.MultiPartParser]
    pagination_class = Pagination


# The schema: every status an operation answers


class TandemSchema(AutoSchema):
    """drf-spectacular's schema of an operation, with the refusals it can give listed in the problem
    format beside those its view names (403, 404, 409): 400 where it takes input, 401 where it reads
    credentials, 403 where a browser session's change needs its CSRF token, 404 where its path names
    something, 413 and 415 where it takes a body, 429 where it is throttled.
    `REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]`."""

    REFUSALS = {
        "400": "Bad input, with every problem listed; nothing was stored.",
        "401": "No or wrong credentials: send `Authorization: Token <token>`.",
        "403": "Signed in through the browser, without the CSRF token.",
        "404": "No such thing, or not one you may see.",
        "413": "The body is larger than Tandem takes.",
        "415": "A Content-Type the operation does not take.",
        "429": "Too many requests: try again after the seconds the Retry-After header gives.",
    }

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        places = {parameter["in"] for parameter in operation.get("parameters", [])}
        body = "requestBody" in operation
        authenticators = self.view.get_authenticators()
        answers = {
            "400": body or "query" in places,
            "401": bool(authenticators),
            "403": self.method not in SAFE_METHODS
            and any(isinstance(each, SessionAuthentication) for each in authenticators),
            "404": "path" in places,
            "413": body,
            "415": body,
            "429": bool(self.view.get_throttles()),
        }
        responses = operation["responses"]
        for status, happens in answers.items():
            if happens and status not in responses:
                responses[status] = {"description": self.REFUSALS[status]}
        problem = {"application/json": {"schema": self.resolve_serializer(RefusedOut, "response").ref}}
        for status, response in responses.items():
            if status >= "400" and "content" not in response:
                response["content"] = problem
        operation["responses"] = dict(sorted(responses.items()))
        return operation
