with source as (select * from {{ source('raw', 'kyc_checks') }})
select
    cast(check_id as number(38,0)) as check_id,
    cast(customer_id as number(38,0)) as customer_id,
    provider,
    result as kyc_result,
    cast(checked_at as timestamp_ntz) as checked_at
from source
